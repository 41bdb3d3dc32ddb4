// Deterministic synthetic credit data for 临沂: enterprises with valid USCCs, people with valid resident
// IDs, agencies, and whole rows of the seven categories in the form a clerk's Excel export has them.
// Used by testkit/generate-fixtures.ts (committed fixtures) and by benchmarks (millions of rows), so per-row
// work is kept to string concatenation over precomputed pools; randomness is a seeded mulberry32,
// never Math.random and never the clock. Identifier rules: shared/reference §3 (USCC), §4 (IDs), §5 (divisions).
import { orgCodeCheckChar, residentIdCheckChar, usccCheckChar } from '../lib/checks.ts';
import type { CategoryId } from '../schemas/registry.ts';

// ---------------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------------

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
  /** An independent stream named by label; does not advance this one. */
  fork(label: string | number): Rng;
}

/** FNV-1a, 32 bit: turns a label into a seed. */
export function hashSeed(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

class Mulberry32 implements Rng {
  private state: number;
  constructor(private readonly seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  fork(label: string | number): Rng {
    return new Mulberry32(hashSeed(`${this.seed}/${label}`));
  }
}

export function createRng(seed: number | string): Rng {
  return new Mulberry32(typeof seed === 'number' ? seed >>> 0 : hashSeed(seed));
}

// ---------------------------------------------------------------------------------------------
// Small formatting helpers
// ---------------------------------------------------------------------------------------------

const pad = (n: number, width: number) => String(n).padStart(width, '0');

const DAY_MS = 86_400_000;
const isoCache = new Map<number, string>();

const dayCache = new Map<string, number>();

/** Days since 1970-01-01 of an ISO date. */
export function epochDay(iso: string): number {
  let d = dayCache.get(iso);
  if (d === undefined) {
    d = Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) / DAY_MS;
    if (dayCache.size < 200_000) dayCache.set(iso, d);
  }
  return d;
}

/** ISO date (YYYY-MM-DD) of a day number. */
export function isoOfDay(day: number): string {
  let s = isoCache.get(day);
  if (s === undefined) {
    const d = new Date(day * DAY_MS);
    s = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
    if (isoCache.size < 200_000) isoCache.set(day, s);
  }
  return s;
}

export function addDays(iso: string, days: number): string {
  return isoOfDay(epochDay(iso) + days);
}

/** Same day n years later (29 Feb -> 28 Feb), minus `minusDays`. */
export function addYears(iso: string, years: number, minusDays = 0): string {
  const y = Number(iso.slice(0, 4)) + years;
  let md = iso.slice(4);
  if (md === '-02-29') md = '-02-28';
  return minusDays ? addDays(`${y}${md}`, -minusDays) : `${y}${md}`;
}

export function addMonths(month: string, n: number): string {
  const m0 = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 + n;
  return `${Math.floor(m0 / 12)}-${pad((m0 % 12) + 1, 2)}`;
}

/** A day in [from, to] (ISO dates, inclusive). */
export function dateBetween(rng: Rng, from: string, to: string): string {
  return isoOfDay(rng.int(epochDay(from), epochDay(to)));
}

export type DateStyle = 'iso' | 'slash' | 'compact' | 'chinese';

/** An ISO date as a clerk might type it: 2024-03-05, 2024/3/5, 20240305 or 2024年3月5日. */
export function formatDate(iso: string, style: DateStyle): string {
  if (style === 'iso') return iso;
  const y = iso.slice(0, 4);
  const m = Number(iso.slice(5, 7));
  const d = Number(iso.slice(8, 10));
  if (style === 'slash') return `${y}/${m}/${d}`;
  if (style === 'compact') return iso.replaceAll('-', '');
  return `${y}年${m}月${d}日`;
}

/** 2024年3月5日, the way dates appear inside Chinese prose. */
const zhDate = (iso: string) => formatDate(iso, 'chinese');

/** Fen (0.01 yuan) -> 万元 with up to 6 decimals and no trailing zeros: 250000 fen -> "0.25". */
export function wanFromFen(fen: number): string {
  const int = Math.floor(fen / 1_000_000);
  const frac = pad(fen % 1_000_000, 6).replace(/0+$/, '');
  return frac ? `${int}.${frac}` : String(int);
}

/** Fen -> yuan with two decimals: 51233 -> "512.33". */
export function yuanFromFen(fen: number): string {
  return `${Math.floor(fen / 100)}.${pad(fen % 100, 2)}`;
}

/** A number with up to three decimals, trailing zeros dropped, from thousandths. */
function quantityFromMilli(milli: number): string {
  const frac = pad(milli % 1000, 3).replace(/0+$/, '');
  return frac ? `${Math.floor(milli / 1000)}.${frac}` : String(Math.floor(milli / 1000));
}

/** 万元 amount for a whole number of yuan, random in [minYuan, maxYuan] rounded to `step` yuan. */
export function amountWan(rng: Rng, minYuan: number, maxYuan: number, step = 100): string {
  return wanFromFen(Math.round(rng.int(Math.ceil(minYuan / step), Math.floor(maxYuan / step)) * step) * 100);
}

// ---------------------------------------------------------------------------------------------
// 临沂 geography (reference §5)
// ---------------------------------------------------------------------------------------------

export interface County {
  /** GB/T 2260 code (371371-371373: NBS statistical codes of the development zones). */
  readonly code: string;
  readonly name: string;
  /** One-character abbreviation used in document numbers (临兰审批…). */
  readonly abbr: string;
  readonly towns: readonly string[];
  /** Crops and products the county is known for (agri business scope). */
  readonly produce: readonly string[];
}

export const COUNTIES: readonly County[] = [
  { code: '371302', name: '兰山区', abbr: '兰', towns: ['兰山街道', '银雀山街道', '金雀山街道', '柳青街道', '白沙埠镇', '枣园镇', '义堂镇', '汪沟镇', '半程镇', '李官镇', '方城镇'], produce: ['蔬菜', '食用菌', '花卉苗木'] },
  { code: '371311', name: '罗庄区', abbr: '罗', towns: ['罗庄街道', '傅庄街道', '盛庄街道', '册山街道', '高都街道', '褚墩镇', '黄山镇', '沂堂镇'], produce: ['蔬菜', '花生', '葡萄'] },
  { code: '371312', name: '河东区', abbr: '河', towns: ['九曲街道', '芝麻墩街道', '凤凰岭街道', '汤头街道', '太平街道', '相公街道', '汤河镇'], produce: ['水稻', '蔬菜', '草莓'] },
  { code: '371321', name: '沂南县', abbr: '沂南', towns: ['界湖街道', '岸堤镇', '孙祖镇', '双堠镇', '青驼镇', '张庄镇', '砖埠镇', '铜井镇', '依汶镇', '蒲汪镇', '湖头镇', '苏村镇', '大庄镇', '辛集镇'], produce: ['黄瓜', '西红柿', '小米', '肉鸭'] },
  { code: '371322', name: '郯城县', abbr: '郯', towns: ['郯城街道', '马头镇', '重坊镇', '李庄镇', '胜利镇', '高峰头镇', '港上镇', '红花镇', '泉源镇', '庙山镇', '花园乡', '杨集镇', '归昌乡'], produce: ['银杏', '小麦', '水稻', '杞柳'] },
  { code: '371323', name: '沂水县', abbr: '沂水', towns: ['沂城街道', '龙家圈街道', '许家湖镇', '黄山铺镇', '诸葛镇', '崔家峪镇', '高桥镇', '院东头镇', '夏蔚镇', '马站镇', '泉庄镇', '杨庄镇', '四十里堡镇'], produce: ['苹果', '花生', '生姜', '黄烟'] },
  { code: '371324', name: '兰陵县', abbr: '兰陵', towns: ['卞庄街道', '苍山街道', '兰陵镇', '长城镇', '磨山镇', '神山镇', '车辋镇', '尚岩镇', '向城镇', '新兴镇', '南桥镇', '庄坞镇', '大仲村镇', '矿坑镇'], produce: ['大蒜', '牛蒡', '辣椒', '蔬菜'] },
  { code: '371325', name: '费县', abbr: '费', towns: ['费城街道', '上冶镇', '薛庄镇', '探沂镇', '朱田镇', '梁邱镇', '新庄镇', '马庄镇', '胡阳镇', '石井镇', '东蒙镇', '大田庄乡'], produce: ['板栗', '核桃', '山楂'] },
  { code: '371326', name: '平邑县', abbr: '平', towns: ['平邑街道', '仲村镇', '武台镇', '保太镇', '柏林镇', '卞桥镇', '地方镇', '铜石镇', '温水镇', '流峪镇', '郑城镇', '白彦镇', '临涧镇', '丰阳镇'], produce: ['金银花', '黄桃', '山楂'] },
  { code: '371327', name: '莒南县', abbr: '莒', towns: ['十字路街道', '大店镇', '坪上镇', '板泉镇', '洙边镇', '文疃镇', '石莲子镇', '岭泉镇', '筵宾镇', '涝坡镇', '相沟镇', '道口镇'], produce: ['花生', '茶叶', '板栗'] },
  { code: '371328', name: '蒙阴县', abbr: '蒙', towns: ['蒙阴街道', '常路镇', '岱崮镇', '坦埠镇', '垛庄镇', '高都镇', '野店镇', '桃墟镇', '联城镇', '旧寨乡'], produce: ['蜜桃', '苹果', '长毛兔'] },
  { code: '371329', name: '临沭县', abbr: '沭', towns: ['临沭街道', '郑山街道', '蛟龙镇', '大兴镇', '石门镇', '曹庄镇', '青云镇', '玉山镇', '店头镇', '白旄镇'], produce: ['柳编', '花生', '地瓜'] },
  { code: '371371', name: '临沂高新技术产业开发区', abbr: '高新', towns: ['罗西街道', '马厂湖镇'], produce: ['蔬菜'] },
  { code: '371372', name: '临沂经济技术开发区', abbr: '经开', towns: ['梅埠街道', '朝阳街道', '沭埠岭街道'], produce: ['蔬菜'] },
  { code: '371373', name: '临沂临港经济开发区', abbr: '临港', towns: ['坊前镇', '团林镇', '壮岗镇', '朱芦镇'], produce: ['茶叶', '花生'] },
];

/** The twelve GB/T 2260 counties (no zones): resident-ID address codes and county agencies. */
export const GB2260_COUNTIES: readonly County[] = COUNTIES.filter((c) => !c.code.startsWith('37137'));
const ZONES: readonly County[] = COUNTIES.filter((c) => c.code.startsWith('37137'));

/** 兰山区 -> 临沂市兰山区; a county (县) is named without the city. */
function countyFullName(c: County): string {
  return c.name.endsWith('区') && !c.name.startsWith('临沂') ? `临沂市${c.name}` : c.name;
}

const ROADS = ['沂蒙路', '通达路', '解放路', '金雀山路', '北京路', '工业大道', '临西六路', '成都路', '蒙山大道', '沂河路', '滨河大道',
  '南京路', '银雀山路', '双岭路', '罗七路', '湖北路', '孝河路', '沂州路', '聚才路', '育才路', '红旗路', '人民大街', '商城路', '府右路'];
const VILLAGE_SUFFIX = ['村', '社区', '庄', '村'];

export function syntheticAddress(rng: Rng, county: County, town = rng.pick(county.towns)): string {
  if (rng.chance(0.35) && /[镇乡]$/.test(town)) {
    return `山东省临沂市${county.name}${town}${rng.pick(SURNAMES)}家${rng.pick(VILLAGE_SUFFIX)}`;
  }
  return `山东省临沂市${county.name}${town}${rng.pick(ROADS)}${rng.int(1, 399)}号`;
}

// ---------------------------------------------------------------------------------------------
// People and resident IDs (reference §4)
// ---------------------------------------------------------------------------------------------

// Frequent surnames, weighted roughly towards 鲁南 usage by repetition.
const SURNAMES = ['王', '王', '王', '张', '张', '李', '李', '刘', '刘', '陈', '杨', '孙', '徐', '高', '于', '马', '赵', '魏', '宋', '朱',
  '郭', '韩', '庞', '颜', '杜', '薛', '公', '诸葛', '胡', '周', '吴', '付', '田', '程', '邵', '卢', '姜', '崔', '丁', '尹'];
const GIVEN_MALE = ['建国', '建华', '志强', '伟', '磊', '军', '勇', '刚', '涛', '明', '海涛', '国庆', '立新', '文博', '浩', '振华', '洪波',
  '传忠', '成军', '宝山', '玉亮', '庆华', '新民', '德胜', '兆明', '永刚', '鹏', '健', '学文', '广利', '金龙', '世杰', '宗强', '凯'];
const GIVEN_FEMALE = ['秀英', '桂英', '玉兰', '丽', '静', '敏', '艳', '芳', '娟', '霞', '红梅', '海燕', '晓燕', '婷', '雪', '欣怡', '凤英',
  '秀兰', '丽娜', '春燕', '美玲', '慧', '玲', '淑珍', '文静', '佳琪', '雪梅', '翠华'];

export interface Person {
  readonly name: string;
  readonly sex: 'M' | 'F';
  readonly birthDate: string;
  readonly idType: string;
  readonly idNumber: string;
}

export function syntheticPersonName(rng: Rng, sex: 'M' | 'F' = rng.chance(0.7) ? 'M' : 'F'): string {
  return rng.pick(SURNAMES) + rng.pick(sex === 'M' ? GIVEN_MALE : GIVEN_FEMALE);
}

/** A valid 18-digit resident ID (GB 11643): a 3713xx address code, the birth date, a sequence of the right parity. */
export function residentId(rng: Rng, birthDate: string, sex: 'M' | 'F', addressCode = rng.pick(GB2260_COUNTIES).code): string {
  const body = addressCode + birthDate.replaceAll('-', '') + sequenceCode(rng, sex);
  return body + residentIdCheckChar(body);
}

/** An old 15-digit ID (pre-1999: YYMMDD, no check character) for someone born in the 1900s. */
export function residentId15(rng: Rng, birthDate: string, sex: 'M' | 'F', addressCode = rng.pick(GB2260_COUNTIES).code): string {
  return addressCode + birthDate.slice(2).replaceAll('-', '') + sequenceCode(rng, sex);
}

/** The three-digit sequence code of a resident ID: odd for men, even for women. */
function sequenceCode(rng: Rng, sex: 'M' | 'F'): string {
  const seq = rng.int(0, 49) * 2 + (sex === 'M' ? 1 : 2) + rng.int(0, 8) * 100;
  return pad(seq % 1000 || 1, 3);
}

export function syntheticPerson(rng: Rng, opts: { bornFrom?: string; bornTo?: string; addressCode?: string } = {}): Person {
  const sex = rng.chance(0.72) ? 'M' : 'F';
  const birthDate = dateBetween(rng, opts.bornFrom ?? '1958-01-01', opts.bornTo ?? '1996-12-31');
  return { name: syntheticPersonName(rng, sex), sex, birthDate, idType: '身份证', idNumber: residentId(rng, birthDate, sex, opts.addressCode) };
}

// ---------------------------------------------------------------------------------------------
// USCC and organisation codes (reference §3)
// ---------------------------------------------------------------------------------------------

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const DIGITS = '0123456789';

function randomChars(rng: Rng, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rng.next() * alphabet.length)];
  return s;
}

/** A GB 11714 organisation-code body (8 chars): new-style MA… (Shandong mostly MA3…) or an old numeric one. */
export function orgCodeBody(rng: Rng, style: 'new' | 'old' = rng.chance(0.7) ? 'new' : 'old'): string {
  if (style === 'old') return rng.pick(['3', '5', '6', '7', '0']) + randomChars(rng, DIGITS, 7);
  return `MA${rng.chance(0.8) ? '3' : rng.pick(['9', '1', '4'])}${randomChars(rng, USCC_CHARS, 5)}`;
}

/** A valid USCC from its parts: prefix (91, 92, 93, 11 …), division code and an 8-char org-code body. */
export function buildUscc(prefix: string, division: string, body8: string): string {
  const first17 = prefix + division + body8 + orgCodeCheckChar(body8);
  return first17 + usccCheckChar(first17);
}

/** ISO 7064 MOD 11,10 check digit (the 15-digit 工商注册号, GS15-2006). */
function mod1110(digits: string): string {
  let p = 10;
  for (const ch of digits) {
    let s = (p + Number(ch)) % 10;
    if (s === 0) s = 10;
    p = (s * 2) % 11;
  }
  return String((11 - p) % 10);
}

// ---------------------------------------------------------------------------------------------
// Enterprises
// ---------------------------------------------------------------------------------------------

type IndustryGroup = 'trade' | 'food' | 'mfg' | 'chem' | 'logistics' | 'construction' | 'service' | 'agri';

export interface Industry {
  readonly suffix: string;
  readonly group: IndustryGroup;
  readonly scope: string;
  /** Typical monthly water use in tonnes and gas use in m³ (0: no gas account). */
  readonly water: readonly [number, number];
  readonly gas: readonly [number, number];
  /** Manufacturers: the 排污许可 industry class (行业类别); makes the environmental templates apply. */
  readonly plant?: { readonly permitClass: string; readonly product: string };
  /** Process that emits volatile organic compounds, if any. */
  readonly voc?: string;
  /** Kind of production wastewater, if any. */
  readonly wastewater?: string;
  /** Product-quality spot check: product, failing item, standard. */
  readonly quality?: readonly [string, string, string];
}

const INDUSTRIES: readonly Industry[] = [
  { suffix: '商贸有限公司', group: 'trade', scope: '日用百货、五金产品、建筑材料销售', water: [15, 60], gas: [0, 0] },
  { suffix: '食品有限公司', group: 'food', scope: '食品生产；食品销售；农副产品收购', water: [600, 2400], gas: [3000, 12000], plant: { permitClass: '蔬菜、菌类、水果和坚果加工', product: '速冻蔬菜' }, wastewater: '清洗废水' },
  { suffix: '木业有限公司', group: 'mfg', scope: '胶合板、生态板、细木工板生产、销售', water: [120, 500], gas: [800, 3500], plant: { permitClass: '人造板制造', product: '胶合板' }, voc: '涂胶、热压', quality: ['胶合板', '甲醛释放量', 'GB/T 9846-2015'] },
  { suffix: '物流有限公司', group: 'logistics', scope: '道路货物运输（不含危险货物）；普通货物仓储服务', water: [40, 160], gas: [0, 0] },
  { suffix: '建材有限公司', group: 'trade', scope: '建筑材料、装饰材料、陶瓷制品销售', water: [20, 90], gas: [0, 0] },
  { suffix: '化工有限公司', group: 'chem', scope: '化工产品（不含许可类化工产品）生产、销售', water: [900, 4000], gas: [5000, 20000], plant: { permitClass: '专用化学产品制造', product: '水处理剂' }, voc: '投料、反应', wastewater: '生产废水' },
  { suffix: '机械制造有限公司', group: 'mfg', scope: '农业机械、通用设备制造、销售', water: [200, 700], gas: [1500, 6000], plant: { permitClass: '农、林、牧、渔专用机械制造', product: '旋耕机' }, voc: '喷漆', quality: ['旋耕机', '安全防护装置', 'GB 10395.1-2009'] },
  { suffix: '建筑工程有限公司', group: 'construction', scope: '房屋建筑和市政基础设施项目工程总承包；建设工程施工', water: [300, 1500], gas: [0, 0] },
  { suffix: '电子商务有限公司', group: 'trade', scope: '互联网销售（除销售需要许可的商品）；供应链管理服务', water: [10, 40], gas: [0, 0] },
  { suffix: '医药有限公司', group: 'trade', scope: '药品零售；医疗器械销售；保健食品销售', water: [15, 50], gas: [0, 0] },
  { suffix: '餐饮管理有限公司', group: 'food', scope: '餐饮服务；餐饮管理；食品销售', water: [150, 600], gas: [1200, 5000] },
  { suffix: '包装材料有限公司', group: 'mfg', scope: '纸制品、塑料包装箱及容器制造、销售', water: [150, 600], gas: [600, 2500], plant: { permitClass: '纸和纸板容器制造', product: '瓦楞纸箱' }, voc: '印刷', quality: ['瓦楞纸箱', '边压强度', 'GB/T 6543-2008'] },
  { suffix: '纺织有限公司', group: 'mfg', scope: '棉纱、坯布纺织加工、销售', water: [800, 3000], gas: [2000, 8000], plant: { permitClass: '棉纺纱加工', product: '棉纱' }, wastewater: '浆纱废水', quality: ['棉本色纱线', '单纱断裂强力变异系数', 'GB/T 398-2018'] },
  { suffix: '陶瓷有限公司', group: 'mfg', scope: '建筑陶瓷制品制造、销售', water: [700, 2500], gas: [20000, 60000], plant: { permitClass: '建筑陶瓷制品制造', product: '陶瓷砖' }, voc: '施釉', wastewater: '磨边废水', quality: ['陶瓷砖', '吸水率', 'GB/T 4100-2015'] },
  { suffix: '新材料科技有限公司', group: 'chem', scope: '新材料技术研发；高性能纤维及复合材料制造', water: [300, 1200], gas: [2500, 9000], plant: { permitClass: '玻璃纤维增强塑料制品制造', product: '复合材料板材' }, voc: '树脂浸渍', wastewater: '清洗废水' },
  { suffix: '汽车销售服务有限公司', group: 'service', scope: '汽车销售；机动车修理和维护；二手车经纪', water: [60, 200], gas: [0, 0] },
  { suffix: '不锈钢制品有限公司', group: 'mfg', scope: '不锈钢制品、金属结构制造、销售', water: [200, 800], gas: [3000, 10000], plant: { permitClass: '金属制日用品制造', product: '不锈钢餐具' }, voc: '喷涂', wastewater: '酸洗废水', quality: ['不锈钢餐具', '铬迁移量', 'GB 4806.9-2016'] },
  { suffix: '农业科技有限公司', group: 'agri', scope: '农作物种植；农产品初加工；农业技术推广服务', water: [100, 500], gas: [0, 0], plant: { permitClass: '其他农副食品加工', product: '脱水蔬菜' }, wastewater: '清洗废水' },
];
const SHOP_TYPES: readonly Industry[] = [
  { suffix: '便利店', group: 'trade', scope: '预包装食品、日用百货零售', water: [5, 20], gas: [0, 0] },
  { suffix: '烧烤店', group: 'food', scope: '餐饮服务（小型餐饮）', water: [30, 90], gas: [300, 900] },
  { suffix: '五金建材店', group: 'trade', scope: '五金产品、建筑材料零售', water: [3, 12], gas: [0, 0] },
  { suffix: '农资经营部', group: 'trade', scope: '化肥、农药（不含危险化学品）、种子零售', water: [3, 12], gas: [0, 0] },
  { suffix: '汽车修理厂', group: 'service', scope: '机动车维修；汽车零配件零售', water: [20, 60], gas: [0, 0] },
  { suffix: '饭店', group: 'food', scope: '餐饮服务', water: [40, 150], gas: [400, 1500] },
];
const AGRI_INDUSTRY: Industry = { suffix: '专业合作社', group: 'agri', scope: '', water: [50, 300], gas: [0, 0] };

const TRADE_NAMES = ['宏达', '鑫盛', '恒源', '金丰', '沂蒙', '华信', '瑞丰', '天元', '诚信', '兴隆', '鲁南', '顺和', '聚源', '新光', '汇通',
  '亿佳', '荣昌', '永泰', '盛华', '东岳', '祥瑞', '福源', '鸿运', '泰和', '金鼎', '凯盛', '润达', '恒信', '佳禾', '绿源', '康达', '和润',
  '中成', '蒙山', '琅琊', '沂河', '沭河', '鑫源', '利民', '正泰', '广源', '宏昌', '远航', '华美', '精诚', '裕丰', '天成', '金沂', '颐和',
  '富民', '丰泽', '昌盛', '景润', '鲁信', '海川', '国泰', '银凤', '三和', '立晨', '博远', '晟达', '嘉禾', '益康', '安泰', '德信', '圣隆'];

export type EnterpriseKind = 'company' | 'individual' | 'coop' | 'farm';
export const AGRI_ENTITY_TYPES = ['家庭农场', '农民合作社', '农业产业化龙头企业', '农业社会化服务组织'] as const;

export interface Enterprise {
  readonly name: string;
  readonly uscc: string;
  /** Positions 9-17 of the USCC: the embedded GB 11714 organisation code. */
  readonly orgCode: string;
  /** 15-digit 工商注册号 of enterprises registered before the 2015 USCC reform, else ''. */
  readonly regNo: string;
  readonly kind: EnterpriseKind;
  readonly subjectType: '法人及非法人组织' | '个体工商户';
  readonly county: County;
  readonly town: string;
  readonly address: string;
  readonly industry: Industry;
  readonly legalRep: Person;
  readonly founded: string;
  /** The 新型农业经营主体 category, for agricultural entities. */
  readonly agriType?: (typeof AGRI_ENTITY_TYPES)[number];
  /** What an agricultural entity grows or does (经营内容). */
  readonly agriScope?: string;
}

export interface EnterpriseOptions {
  kind?: EnterpriseKind;
  industry?: string;
  county?: string;
  agriType?: (typeof AGRI_ENTITY_TYPES)[number];
}

/** 种植 for crops, 养殖 for animals, 编织 for wicker. */
function produceVerb(produce: string): string {
  return produce === '柳编' || produce === '杞柳' ? '编织' : ['长毛兔', '肉鸭'].includes(produce) ? '养殖' : '种植';
}

function agriScopeOf(rng: Rng, county: County, kind: EnterpriseKind): { produce: string; scope: string } {
  const produce = rng.pick(county.produce);
  if (kind === 'coop' && rng.chance(0.25)) return { produce: '农机', scope: '农业机械服务；农作物耕种、收割、植保服务；组织收购、销售成员农产品' };
  const grow = `${produce}${produceVerb(produce)}`;
  return { produce, scope: kind === 'farm' ? `${grow}、销售；农产品初加工` : `${grow}、销售；为成员提供农业生产资料购买及技术信息服务` };
}

/**
 * One enterprise with a valid USCC registered in 临沂 (91 company / 92 individual business / 93 farmers' co-op),
 * a legal representative with a valid resident ID and an address in its county.
 */
export function syntheticEnterprise(rng: Rng, opts: EnterpriseOptions = {}): Enterprise {
  const roll = rng.next();
  const kind: EnterpriseKind = opts.kind ?? (roll < 0.62 ? 'company' : roll < 0.78 ? 'individual' : roll < 0.92 ? 'coop' : 'farm');
  // Co-ops and family farms are rural: no development zones.
  const county = (opts.county && COUNTIES.find((c) => c.name === opts.county || c.code === opts.county))
    || (kind === 'coop' || kind === 'farm' || rng.chance(0.88) ? rng.pick(GB2260_COUNTIES) : rng.pick(ZONES));
  // Farms lie in towns (镇/乡), not in the urban sub-districts (街道).
  const rural = county.towns.filter((t) => !t.endsWith('街道'));
  const town = rng.pick(kind === 'farm' && rural.length ? rural : county.towns);
  const founded = dateBetween(rng, kind === 'company' ? '2003-01-01' : '2009-01-01', '2023-12-31');
  const newStyle = founded >= '2015-10-01' || rng.chance(0.15);
  const legalRep = syntheticPerson(rng, { addressCode: county.code.startsWith('37137') ? rng.pick(GB2260_COUNTIES).code : county.code });
  const trade = rng.pick(TRADE_NAMES);
  let name: string;
  let industry: Industry;
  let prefix: string;
  let division = county.code;
  let agriType: Enterprise['agriType'];
  let agriScope: string | undefined;
  if (kind === 'company') {
    industry = (opts.industry && INDUSTRIES.find((i) => i.suffix.startsWith(opts.industry!))) || rng.pick(INDUSTRIES);
    prefix = '91';
    const style = rng.next();
    // City-level registrations carry 371300 (reference §3.4); county ones the county code.
    // Zone registrations keep the zone's code but not its long name.
    if (style < 0.3 || (county.code.startsWith('37137') && style >= 0.45)) {
      name = `临沂${trade}${industry.suffix}`;
      if (!county.code.startsWith('37137')) division = '371300';
    } else if (style < 0.45) {
      name = `山东${trade}${industry.suffix}`;
      division = '371300';
    } else name = `${countyFullName(county)}${trade}${industry.suffix}`;
    if (industry.group === 'agri' || industry.group === 'food') {
      agriType = opts.agriType ?? (industry.group === 'agri' || rng.chance(0.4) ? '农业产业化龙头企业' : undefined);
      const produce = rng.pick(county.produce);
      if (agriType) agriScope = `${produce}${industry.group === 'food' ? '收购、加工、销售' : `${produceVerb(produce)}、初加工、销售`}；带动农户发展订单农业`;
    }
  } else if (kind === 'individual') {
    industry = rng.pick(SHOP_TYPES);
    prefix = '92';
    const where = county.code.startsWith('37137') ? '临沂市' : countyFullName(county);
    name = rng.chance(0.5) ? `${where}${trade}${industry.suffix}` : `${where}${legalRep.name.slice(0, 1)}记${industry.suffix}`;
  } else if (kind === 'coop') {
    prefix = '93';
    const a = agriScopeOf(rng, county, kind);
    industry = { ...AGRI_INDUSTRY, scope: a.scope };
    name = `${countyFullName(county)}${trade}${a.produce}${a.produce === '农机' ? '' : rng.pick(['种植', '产销', ''])}${rng.chance(0.15) ? '专业合作社联合社' : '专业合作社'}`;
    agriType = opts.agriType ?? (a.produce === '农机' ? '农业社会化服务组织' : '农民合作社');
    agriScope = a.scope;
  } else {
    prefix = '92';
    const a = agriScopeOf(rng, county, kind);
    industry = { ...AGRI_INDUSTRY, suffix: '家庭农场', scope: a.scope };
    name = `${countyFullName(county)}${town.replace(/(街道|镇|乡)$/, '')}${legalRep.name}家庭农场`;
    agriType = opts.agriType ?? '家庭农场';
    agriScope = a.scope;
  }
  const body = orgCodeBody(rng, newStyle ? 'new' : 'old');
  const uscc = buildUscc(prefix, division, body);
  let regNo = '';
  if (!newStyle && kind === 'company') {
    const first14 = division + randomChars(rng, DIGITS, 8);
    regNo = first14 + mod1110(first14);
  }
  return {
    name, uscc, orgCode: uscc.slice(8, 17), regNo, kind, subjectType: prefix === '92' ? '个体工商户' : '法人及非法人组织',
    county, town, address: syntheticAddress(rng, county, town), industry, legalRep, founded, agriType, agriScope,
  };
}

const poolCache = new Map<string, readonly Enterprise[]>();

/**
 * `size` distinct enterprises (distinct names and USCCs), memoised per (seed, size). Index 0 is an
 * agricultural-product company (农业产业化龙头企业) so that it fits every category; the rest mix companies,
 * individual businesses, co-ops and family farms.
 */
export function enterprisePool(seed: number | string, size: number): readonly Enterprise[] {
  const cacheKey = `${seed}:${size}`;
  const cached = poolCache.get(cacheKey);
  if (cached) return cached;
  const rng = createRng(seed).fork('enterprises');
  const names = new Set<string>();
  const usccs = new Set<string>();
  const pool: Enterprise[] = [];
  while (pool.length < size) {
    const e = pool.length === 0
      ? syntheticEnterprise(rng, { kind: 'company', industry: '食品', agriType: '农业产业化龙头企业' })
      : syntheticEnterprise(rng);
    if (names.has(e.name) || usccs.has(e.uscc)) continue;
    names.add(e.name);
    usccs.add(e.uscc);
    pool.push(e);
  }
  if (poolCache.size > 16) poolCache.clear();
  poolCache.set(cacheKey, pool);
  return pool;
}

// ---------------------------------------------------------------------------------------------
// Agencies
// ---------------------------------------------------------------------------------------------

export type Department = 'market' | 'ecology' | 'emergency' | 'housing' | 'approval' | 'enforcement';

export interface Agency {
  readonly name: string;
  readonly dept: Department;
  readonly division: string;
  /** The county it is responsible for ('371300': the whole city). */
  readonly serves: string;
  /** Abbreviation used in document numbers: 临市监, 临兰市监, 临环 … */
  readonly abbr: string;
  /** 11… USCC of a government body, derived deterministically from the name. */
  readonly uscc: string;
  /**
   * The 数据提供单位 its records name: a unit of schemas/provider-units.json (the city bureau collects
   * for its county bureaus), or the agency itself where it is not a listed provider unit.
   */
  readonly sourceUnit: string;
}

function agencyUscc(name: string, division: string): string {
  const rng = createRng(`agency:${name}`);
  const body = rng.chance(0.5) ? `00${randomChars(rng, DIGITS, 6)}` : `MB${randomChars(rng, DIGITS, 6)}`;
  return buildUscc('11', division, body);
}

function agency(name: string, dept: Department, division: string, abbr: string, sourceUnit = name, serves = division): Agency {
  return { name, dept, division, serves, abbr, uscc: agencyUscc(name, division), sourceUnit };
}

const MARKET = '临沂市市场监督管理局';
const ECOLOGY = '临沂市生态环境局';
const APPROVAL = '临沂市行政审批服务局';

/** 临沂 agencies that decide licences, penalties and enforcement, with stable USCCs. */
export const AGENCIES: readonly Agency[] = [
  agency(MARKET, 'market', '371300', '临市监'),
  agency('临沂市兰山区市场监督管理局', 'market', '371302', '临兰市监', MARKET),
  agency('临沂市罗庄区市场监督管理局', 'market', '371311', '临罗市监', MARKET),
  agency('临沂市河东区市场监督管理局', 'market', '371312', '临河市监', MARKET),
  agency('沂南县市场监督管理局', 'market', '371321', '沂南市监', MARKET),
  agency('费县市场监督管理局', 'market', '371325', '费市监', MARKET),
  agency(ECOLOGY, 'ecology', '371300', '临环'),
  agency('临沂市生态环境局兰山分局', 'ecology', '371300', '临环兰', ECOLOGY, '371302'),
  agency('临沂市生态环境局罗庄分局', 'ecology', '371300', '临环罗', ECOLOGY, '371311'),
  agency('临沂市生态环境局沂水分局', 'ecology', '371300', '临环沂水', ECOLOGY, '371323'),
  agency('临沂市应急管理局', 'emergency', '371300', '临应急'),
  agency('临沂市兰山区应急管理局', 'emergency', '371302', '兰应急', '临沂市应急管理局'),
  agency('临沂市罗庄区应急管理局', 'emergency', '371311', '罗应急', '临沂市应急管理局'),
  agency('临沂市住房和城乡建设局', 'housing', '371300', '临住建'),
  agency('临沂市兰山区住房和城乡建设局', 'housing', '371302', '兰住建', '临沂市住房和城乡建设局'),
  agency(APPROVAL, 'approval', '371300', '临审批'),
  agency('临沂市兰山区行政审批服务局', 'approval', '371302', '临兰审批', APPROVAL),
  agency('临沂市河东区行政审批服务局', 'approval', '371312', '临河审批', APPROVAL),
  agency('沂水县行政审批服务局', 'approval', '371323', '沂水审批', APPROVAL),
  agency('兰陵县行政审批服务局', 'approval', '371324', '兰陵审批', APPROVAL),
  agency('临沂市兰山区综合行政执法局', 'enforcement', '371302', '兰综执'),
  agency('临沂市罗庄区综合行政执法局', 'enforcement', '371311', '罗综执'),
];

export function findAgency(name: string): Agency | undefined {
  return AGENCIES.find((a) => a.name === name);
}

const agenciesOf = (dept: Department) => AGENCIES.filter((a) => a.dept === dept);
const AGENCIES_BY_DEPT: Readonly<Record<Department, readonly Agency[]>> = {
  market: agenciesOf('market'), ecology: agenciesOf('ecology'), emergency: agenciesOf('emergency'),
  housing: agenciesOf('housing'), approval: agenciesOf('approval'), enforcement: agenciesOf('enforcement'),
};

// ---------------------------------------------------------------------------------------------
// Document numbering
// ---------------------------------------------------------------------------------------------

/**
 * Per-series counters so document numbers never repeat within a generator run (natural keys stay
 * unique); a fixed `seq` replaces the counter for one-off rows.
 */
export class Numbering {
  private readonly counters = new Map<string, number>();
  constructor(private readonly rng: Rng) {}
  next(series: string): number {
    const n = (this.counters.get(series) ?? this.rng.int(0, 40)) + this.rng.int(1, 3);
    this.counters.set(series, n);
    return n;
  }
}

interface NumberSource { next(series: string): number }
const fixedNumber = (seq: number): NumberSource => ({ next: () => seq + 1 });

// ---------------------------------------------------------------------------------------------
// Penalty and enforcement texts
// ---------------------------------------------------------------------------------------------

interface TextCtx {
  readonly rng: Rng;
  readonly ent: Enterprise;
  /** date of the inspection or case, ISO */
  readonly found: string;
}

interface PenaltyTemplate {
  readonly dept: Department;
  readonly groups: readonly IndustryGroup[];
  /** Further condition on the industry (the process the facts talk about must exist). */
  readonly fits?: (i: Industry) => boolean;
  readonly violationType: string;
  readonly facts: (c: TextCtx) => string;
  readonly basis: string;
  /** 罚款 and the other kinds of the decision, in the law's order */
  readonly kinds: readonly string[];
  readonly fine?: readonly [number, number, number]; // min, max, step in yuan
  /** 没收违法所得: the amount confiscated, yuan */
  readonly confiscate?: readonly [number, number];
  /** 严重失信: published for three years instead of one */
  readonly serious?: boolean;
  readonly docName?: string;
}

const FOOD_SAMPLES = [
  ['芹菜', '毒死蜱'], ['韭菜', '腐霉利'], ['豇豆', '灭蝇胺'], ['鸡蛋', '恩诺沙星'], ['鲜活草鱼', '孔雀石绿'], ['生姜', '噻虫胺'],
  ['猪肉', '克伦特罗'], ['油条', '铝的残留量'], ['白酒', '甜蜜素'], ['馒头', '苯甲酸'],
] as const;
const ALL_GROUPS: readonly IndustryGroup[] = ['trade', 'food', 'mfg', 'chem', 'logistics', 'construction', 'service', 'agri'];
const MAKERS: readonly IndustryGroup[] = ['mfg', 'chem', 'food', 'agri'];

const PENALTIES: readonly PenaltyTemplate[] = [
  {
    dept: 'market', groups: ['food', 'trade', 'agri'], violationType: '经营农药残留、兽药残留等超过食品安全标准限量的食品',
    facts: ({ rng, found }) => {
      const [food, item] = rng.pick(FOOD_SAMPLES);
      const qty = rng.int(20, 300);
      return `${zhDate(found)}，执法人员对当事人经营场所进行监督抽检，当事人销售的${food}经检验${item}项目不符合食品安全国家标准，检验结论为不合格。经查，当事人共购进该批次${food}${qty}公斤，货值金额${qty * rng.int(3, 12)}元，已全部售出。`;
    },
    basis: '《中华人民共和国食品安全法》第一百二十四条第一款第（一）项', kinds: ['罚款', '没收违法所得'],
    fine: [50_000, 100_000, 1_000], confiscate: [200, 3_000],
  },
  {
    dept: 'market', groups: ['food', 'trade'], violationType: '经营标签不符合规定的预包装食品',
    facts: ({ found, rng }) => `${zhDate(found)}，执法人员检查发现当事人货架上陈列销售的${rng.pick(['花生油', '挂面', '芝麻酱', '饼干', '酱油'])}标签未标注生产者联系方式，存在标签瑕疵，经责令改正后当事人逾期未改正。`,
    basis: '《中华人民共和国食品安全法》第一百二十五条第二款', kinds: ['罚款'], fine: [500, 2_000, 100], docName: '当场行政处罚决定书',
  },
  {
    dept: 'market', groups: ['food', 'trade', 'service'], violationType: '未按规定公示食品经营许可证',
    facts: ({ found }) => `${zhDate(found)}，执法人员检查发现当事人未在经营场所的显著位置悬挂食品经营许可证正本，经责令改正后拒不改正。`,
    basis: '《食品经营许可和备案管理办法》第五十三条第一款', kinds: ['警告'], docName: '当场行政处罚决定书',
  },
  {
    dept: 'market', groups: ['trade', 'service', 'food'], violationType: '对商品性能、功能作虚假或者引人误解的商业宣传',
    facts: ({ found, rng }) => `当事人自${zhDate(found)}起在其网店及微信公众号宣传其销售的${rng.pick(['净水器', '保健床垫', '空气净化器', '富硒大米'])}具有“${rng.pick(['治疗高血压', '抗癌防癌', '祛除99.9%甲醛', '降血糖'])}”等功效，经查无事实依据，构成虚假宣传。`,
    basis: '《中华人民共和国反不正当竞争法》第八条第一款、第二十条第一款', kinds: ['罚款'], fine: [200_000, 400_000, 10_000],
  },
  {
    dept: 'market', groups: ['mfg', 'chem', 'logistics', 'construction'], violationType: '使用未经定期检验的特种设备',
    facts: ({ found, rng }) => `${zhDate(found)}，执法人员检查发现当事人使用的${rng.int(1, 3)}台${rng.pick(['场（厂）内专用机动车辆（叉车）', '桥式起重机', '压力容器（储气罐）', '电梯'])}定期检验有效期已届满，当事人未按规定申报定期检验，仍继续使用。`,
    basis: '《中华人民共和国特种设备安全法》第八十四条第（一）项', kinds: ['罚款'], fine: [30_000, 100_000, 1_000],
  },
  {
    dept: 'market', groups: ['mfg'], fits: (i) => i.quality !== undefined, violationType: '生产不符合保障人体健康和人身、财产安全的国家标准的产品',
    facts: ({ found, rng, ent }) => {
      const [product, item, standard] = ent.industry.quality!;
      return `${zhDate(found)}，临沂市产品质量监督抽查中，当事人生产的${product}经检验${item}不符合${standard}标准要求，当事人共生产该批次产品${rng.int(80, 600)}件，货值金额${rng.int(5, 60) * 1000}元。`;
    },
    basis: '《中华人民共和国产品质量法》第四十九条', kinds: ['罚款', '没收违法所得', '没收非法财物'],
    fine: [10_000, 80_000, 500], confiscate: [800, 12_000],
  },
  {
    dept: 'ecology', groups: MAKERS, fits: (i) => i.voc !== undefined, violationType: '违反大气污染防治管理制度',
    facts: ({ found, ent }) => `${zhDate(found)}，执法人员现场检查发现，当事人${ent.industry.voc}工序未在密闭空间中进行，未按照规定安装、使用污染防治设施，含挥发性有机物废气无组织排放。`,
    basis: '《中华人民共和国大气污染防治法》第一百零八条第（一）项', kinds: ['罚款'], fine: [20_000, 200_000, 1_000],
  },
  {
    dept: 'ecology', groups: ['chem', 'mfg'], fits: (i) => i.plant !== undefined, violationType: '违反大气污染防治管理制度',
    facts: ({ found }) => `当事人属于大气重点排污单位，截至${zhDate(found)}未按照规定安装大气污染物排放自动监测设备，未与生态环境主管部门的监控设备联网。`,
    basis: '《中华人民共和国大气污染防治法》第一百条第（三）项', kinds: ['罚款'], fine: [20_000, 200_000, 1_000],
  },
  {
    dept: 'ecology', groups: ['chem', 'food', 'mfg', 'agri'], fits: (i) => i.wastewater !== undefined, violationType: '违反水污染防治管理制度',
    facts: ({ found, ent }) => `${zhDate(found)}，执法人员现场检查发现，当事人将${ent.industry.wastewater}通过厂区雨水管网直接排放，采样监测化学需氧量浓度超过《流域水污染物综合排放标准 第2部分：沂沭河流域》（DB37/3416.2-2018）规定限值。`,
    basis: '《中华人民共和国水污染防治法》第八十三条第（二）项', kinds: ['罚款'], fine: [100_000, 1_000_000, 10_000], serious: true,
  },
  {
    dept: 'ecology', groups: ['chem', 'mfg', 'service'], violationType: '违反固体废物污染环境防治制度',
    facts: ({ found, rng }) => `${zhDate(found)}，执法人员检查发现，当事人产生的${rng.pick(['废矿物油', '废活性炭', '废油漆桶', '废乳化液'])}等危险废物未按照国家有关规定制定危险废物管理计划，未建立危险废物管理台账。`,
    basis: '《中华人民共和国固体废物污染环境防治法》第一百一十二条第一款第（二）项', kinds: ['罚款'], fine: [100_000, 500_000, 10_000],
  },
  {
    dept: 'ecology', groups: MAKERS, fits: (i) => i.plant !== undefined, violationType: '违反建设项目环境保护管理制度',
    facts: ({ found, ent }) => `当事人${ent.industry.plant!.product}生产线建设项目需要配套建设的环境保护设施未经验收，于${zhDate(found)}前已投入生产。`,
    basis: '《建设项目环境保护管理条例》第二十三条第一款', kinds: ['罚款'], fine: [200_000, 1_000_000, 10_000],
  },
  {
    dept: 'ecology', groups: MAKERS, fits: (i) => i.plant !== undefined, violationType: '违反排污许可管理制度',
    facts: ({ found }) => `${zhDate(found)}，执法人员检查发现，当事人未按照排污许可证规定制定自行监测方案并开展自行监测，未保存原始监测记录。`,
    basis: '《排污许可管理条例》第三十六条第（六）项', kinds: ['罚款'], fine: [20_000, 200_000, 1_000],
  },
  {
    dept: 'emergency', groups: ALL_GROUPS, violationType: '未按照规定对从业人员进行安全生产教育和培训',
    facts: ({ found, rng }) => `${zhDate(found)}，执法人员检查发现，当事人${rng.int(2, 9)}名${rng.pick(['一线作业人员', '新入职员工', '叉车作业人员'])}未经安全生产教育和培训即上岗作业，不能提供培训记录。`,
    basis: '《中华人民共和国安全生产法》第九十七条第（三）项', kinds: ['罚款'], fine: [10_000, 80_000, 1_000],
  },
  {
    dept: 'emergency', groups: ['mfg', 'chem', 'logistics', 'food'], violationType: '未对安全设备进行经常性维护、保养和定期检测',
    facts: ({ found, rng }) => `${zhDate(found)}，执法人员检查发现，当事人${rng.pick(['可燃气体报警装置', '除尘系统泄爆装置', '消防水泵', '有毒气体检测报警仪'])}未进行经常性维护、保养和定期检测，无法正常使用。`,
    basis: '《中华人民共和国安全生产法》第九十九条第（三）项', kinds: ['罚款'], fine: [10_000, 50_000, 1_000],
  },
  {
    dept: 'emergency', groups: ['mfg', 'chem'], violationType: '未建立事故隐患排查治理制度',
    facts: ({ found }) => `${zhDate(found)}，执法人员检查发现，当事人未建立安全风险分级管控和隐患排查治理双重预防工作机制，未如实记录事故隐患排查治理情况。`,
    basis: '《中华人民共和国安全生产法》第一百零一条第（五）项', kinds: ['罚款'], fine: [20_000, 100_000, 1_000],
  },
  {
    dept: 'emergency', groups: ['chem', 'mfg'], violationType: '未在有较大危险因素的生产经营场所设置明显的安全警示标志',
    facts: ({ found, rng }) => `${zhDate(found)}，执法人员检查发现，当事人${rng.pick(['液氨储罐区', '喷漆房', '粉尘作业区', '配电室'])}未设置明显的安全警示标志。`,
    basis: '《中华人民共和国安全生产法》第九十九条第（一）项', kinds: ['警告', '罚款'], fine: [5_000, 30_000, 1_000],
  },
  {
    dept: 'housing', groups: ['construction'], violationType: '施工工地未采取有效防尘降尘措施',
    facts: ({ found, rng }) => `${zhDate(found)}，执法人员检查发现，当事人承建的${rng.pick(['沂河新区', '北城新区', '兰山区', '罗庄区'])}${rng.pick(['安置房', '学校', '商住楼', '厂房'])}项目施工现场裸露土方未覆盖，出入口未冲洗车辆，扬尘污染明显。`,
    basis: '《中华人民共和国大气污染防治法》第一百一十五条第一款第（一）项', kinds: ['罚款'], fine: [10_000, 100_000, 1_000],
  },
  {
    dept: 'housing', groups: ['construction'], violationType: '未取得施工许可证擅自施工',
    facts: ({ found, rng }) => `当事人承建的${rng.pick(['仓储物流', '标准化厂房', '办公楼'])}项目，合同价款${rng.int(300, 3000)}万元，未取得建筑工程施工许可证，于${zhDate(found)}擅自开工建设。`,
    basis: '《建设工程质量管理条例》第五十七条', kinds: ['罚款'], fine: [30_000, 600_000, 1_000],
  },
  {
    dept: 'housing', groups: ['construction'], violationType: '未按照工程建设强制性标准进行施工',
    facts: ({ found }) => `${zhDate(found)}，经检测，当事人承建项目主体结构部分构件混凝土强度不满足设计要求，当事人未按照工程设计图纸和施工技术标准施工。`,
    basis: '《建设工程质量管理条例》第六十四条', kinds: ['罚款'], fine: [50_000, 800_000, 1_000], serious: true,
  },
];

interface EnforcementTemplate {
  readonly dept: Department;
  readonly groups: readonly IndustryGroup[];
  readonly fits?: (i: Industry) => boolean;
  readonly docName: string;
  readonly series: string;
  readonly reason: (c: TextCtx) => string;
  readonly basis: string;
  readonly method: string;
}

const ENFORCEMENTS: readonly EnforcementTemplate[] = [
  {
    dept: 'market', groups: ALL_GROUPS, docName: '行政强制执行决定书', series: '强执', method: '加处罚款或者滞纳金',
    reason: ({ found }) => `当事人到期不缴纳罚款，经${zhDate(found)}催告后仍未履行行政处罚决定`,
    basis: '《中华人民共和国行政处罚法》第七十二条第一款第（一）项；《中华人民共和国行政强制法》第四十五条',
  },
  {
    dept: 'market', groups: ['food', 'trade'], docName: '实施行政强制措施决定书', series: '扣', method: '扣押财物',
    reason: ({ rng }) => `当事人涉嫌经营${rng.pick(['超过保质期的食品', '无标签的预包装食品', '来源不明的冷冻肉品'])}，为防止证据损毁、危害扩大`,
    basis: '《中华人民共和国食品安全法》第一百一十条第（四）项',
  },
  {
    dept: 'ecology', groups: MAKERS, fits: (i) => i.plant !== undefined, docName: '查封、扣押决定书', series: '封扣', method: '查封场所、设施或者财物',
    reason: () => '当事人违法排放污染物，造成或者可能造成严重污染',
    basis: '《中华人民共和国环境保护法》第二十五条；《环境保护主管部门实施查封、扣押办法》第四条第一款第（一）项',
  },
  {
    dept: 'ecology', groups: MAKERS, fits: (i) => i.plant !== undefined, docName: '代履行决定书', series: '代履', method: '代履行',
    reason: ({ rng }) => `当事人逾期未清除违法堆存的${rng.pick(['一般工业固体废物', '生产废料', '污泥'])}，经催告仍不履行，其后果已经或者将危害环境`,
    basis: '《中华人民共和国行政强制法》第五十条；《中华人民共和国固体废物污染环境防治法》第一百一十七条',
  },
  {
    dept: 'emergency', groups: ['mfg', 'chem', 'logistics'], docName: '查封扣押决定书', series: '封', method: '查封场所、设施或者财物',
    reason: ({ rng }) => `当事人${rng.pick(['粉尘涉爆车间', '危险化学品仓库', '喷漆作业区'])}存在重大事故隐患，未在规定期限内整改`,
    basis: '《中华人民共和国安全生产法》第六十五条第一款第（四）项',
  },
  {
    dept: 'enforcement', groups: ALL_GROUPS, docName: '强制拆除决定书', series: '强拆', method: '强制拆除',
    reason: ({ found, rng }) => `当事人未取得建设工程规划许可证，在${rng.pick(['厂区北侧', '院内', '门店后方'])}违法建设彩钢板房约${rng.int(60, 900)}平方米，责令限期拆除决定书送达后，于${zhDate(found)}期限届满仍未自行拆除`,
    basis: '《中华人民共和国城乡规划法》第六十四条、第六十八条；《中华人民共和国行政强制法》第四十四条',
  },
  {
    dept: 'housing', groups: ['construction'], docName: '行政强制执行决定书', series: '强执', method: '排除妨碍、恢复原状',
    reason: () => '当事人擅自占用、挖掘城市道路，经责令限期恢复原状后逾期未履行',
    basis: '《城市道路管理条例》第四十二条；《中华人民共和国行政强制法》第四十四条',
  },
];

// ---------------------------------------------------------------------------------------------
// Licences
// ---------------------------------------------------------------------------------------------

interface LicenceTemplate {
  readonly dept: Department;
  readonly groups: readonly IndustryGroup[];
  readonly fits?: (i: Industry) => boolean;
  readonly docName: string;
  readonly certificate: string;
  readonly series: string;
  readonly kind: string;
  readonly years: number;
  readonly number: (c: { rng: Rng; ent: Enterprise; division: string; year: string; n: number }) => string;
  readonly content: (rng: Rng, ent: Enterprise) => string;
}

const LICENCES: readonly LicenceTemplate[] = [
  {
    dept: 'approval', groups: ['food', 'trade', 'service', 'agri'], docName: '食品经营许可决定书', certificate: '食品经营许可证', series: '食许', kind: '普通', years: 5,
    number: ({ division, n }) => `JY1${division}${pad(n, 7)}`,
    content: (rng) => rng.pick(['预包装食品（含冷藏冷冻食品）销售', '预包装食品（不含冷藏冷冻食品）销售，散装食品（不含冷藏冷冻食品）销售', '热食类食品制售，冷食类食品制售', '保健食品销售，特殊医学用途配方食品销售']),
  },
  {
    dept: 'approval', groups: ['food', 'agri'], docName: '食品生产许可决定书', certificate: '食品生产许可证', series: '食生许', kind: '普通', years: 5,
    number: ({ rng, division, n }) => `SC${rng.pick(['101', '103', '106', '111', '117', '123'])}${division}${pad(n, 5)}`,
    content: (rng) => rng.pick(['粮食加工品：其他粮食加工品', '速冻食品：速冻调制食品', '蔬菜制品：酱腌菜', '炒货食品及坚果制品：烘炒类', '水果制品：蜜饯']),
  },
  {
    dept: 'approval', groups: ['logistics'], docName: '道路运输经营许可决定书', certificate: '道路运输经营许可证', series: '运许', kind: '普通', years: 4,
    number: ({ division, n }) => `鲁交运管许可临字${division}${pad(n, 6)}号`,
    content: () => '道路普通货物运输，货物专用运输（集装箱）',
  },
  {
    dept: 'approval', groups: ['construction'], docName: '建筑工程施工许可决定书', certificate: '建筑工程施工许可证', series: '施许', kind: '普通', years: 3,
    number: ({ division, year, n }) => `${division}${year}${pad(n, 4)}0101`,
    content: (rng) => `${rng.pick(['沂河新区安置房', '临西片区学校', '临沂商城物流园', '滨河东路商住楼'])}项目，建筑面积${rng.int(3000, 60000)}平方米`,
  },
  {
    dept: 'approval', groups: ['chem', 'trade'], fits: (i) => i.group === 'chem' || i.suffix === '商贸有限公司' || i.suffix === '农资经营部', docName: '危险化学品经营许可决定书', certificate: '危险化学品经营许可证', series: '危化许', kind: '普通', years: 3,
    number: ({ year, n }) => `鲁临危化经字〔${year}〕${pad(n, 6)}`,
    content: () => '批发（无储存）：易燃液体、腐蚀品、氧化性物质',
  },
  {
    dept: 'approval', groups: ['mfg', 'chem', 'food'], docName: '取水许可决定书', certificate: '取水许可证', series: '取水许', kind: '普通', years: 5,
    number: ({ division, year, n }) => `D${division}G${year}-${pad(n, 4)}`,
    content: (rng) => `取水水源：地下水；年取水量${rng.int(1, 30)}万立方米；用途：工业用水`,
  },
  {
    dept: 'approval', groups: ['food', 'service', 'mfg'], docName: '城镇污水排入排水管网许可决定书', certificate: '城镇污水排入排水管网许可证', series: '排水许', kind: '普通', years: 5,
    number: ({ year, n }) => `鲁临排字第${year}-${pad(n, 4)}号`,
    content: (rng) => `排水户类型：${rng.pick(['餐饮', '食品加工', '机械加工'])}；排水量${rng.int(10, 300)}立方米/日；主要污染物：化学需氧量、氨氮`,
  },
  {
    dept: 'approval', groups: ALL_GROUPS, docName: '准予设立登记通知书', certificate: '营业执照', series: '登记', kind: '登记', years: 0,
    number: ({ ent }) => ent.uscc,
    content: () => '设立登记',
  },
  {
    dept: 'ecology', groups: MAKERS, fits: (i) => i.plant !== undefined, docName: '排污许可证核发决定', certificate: '排污许可证', series: '排许', kind: '普通', years: 5,
    number: ({ ent, rng }) => `${ent.uscc}00${rng.int(1, 3)}${rng.pick(['P', 'V', 'U'])}`,
    content: (_rng, ent) => `行业类别：${ent.industry.plant!.permitClass}；主要污染物类别：废气${ent.industry.wastewater ? '、废水' : ''}`,
  },
  {
    dept: 'ecology', groups: ['chem', 'service'], docName: '危险废物经营许可决定书', certificate: '危险废物经营许可证', series: '危废许', kind: '特许', years: 5,
    number: ({ n }) => `临沂危证${pad(n, 3)}号`,
    content: () => '收集、贮存：HW08废矿物油与含矿物油废物、HW49其他废物',
  },
  {
    dept: 'housing', groups: ['construction'], docName: '建筑业企业资质审批决定书', certificate: '建筑业企业资质证书', series: '资质', kind: '认可', years: 5,
    number: ({ n }) => `D3${pad(37_000_000 + n, 8)}`,
    content: () => '建筑工程施工总承包叁级；市政公用工程施工总承包叁级',
  },
  {
    dept: 'market', groups: ['mfg', 'chem'], fits: (i) => i.quality !== undefined || i.group === 'chem', docName: '工业产品生产许可决定书', certificate: '全国工业产品生产许可证', series: '生许', kind: '核准', years: 5,
    number: ({ rng, n }) => `(鲁)XK${rng.pick(['13', '16', '06', '21'])}-${pad(rng.int(1, 30), 3)}-${pad(n, 5)}`,
    content: (_rng, ent) => `产品名称：${ent.industry.quality?.[0] ?? '危险化学品包装物、容器'}`,
  },
];

// ---------------------------------------------------------------------------------------------
// R&D support items
// ---------------------------------------------------------------------------------------------

interface SupportTemplate {
  readonly type: string;
  readonly level: string;
  readonly item: (year: string, code: string) => string;
  readonly body: string | ((ent: Enterprise) => string);
  readonly amount?: readonly [number, number, number];
}

const SUPPORTS: readonly SupportTemplate[] = [
  { type: '实验室建设', level: '市级', item: (y, c) => `临沂市工程技术研究中心（${y}年认定，编号${c}）`, body: '临沂市科学技术局' },
  { type: '实验室建设', level: '省级', item: (y, c) => `山东省企业技术中心（${y}年认定，编号${c}）`, body: '山东省工业和信息化厅' },
  { type: '实验室建设', level: '省级', item: (y, c) => `山东省工程研究中心（${y}年，编号${c}）`, body: '山东省发展和改革委员会' },
  { type: '政府资金支持', level: '省级', item: (y, c) => `山东省重点研发计划（竞争性创新平台）项目（${y}CXPT${c}）`, body: '山东省科学技术厅', amount: [300_000, 2_000_000, 10_000] },
  { type: '政府资金支持', level: '市级', item: (y, c) => `临沂市重点研发计划项目（${y}LYZC${c}）`, body: '临沂市科学技术局', amount: [50_000, 300_000, 10_000] },
  { type: '政府资金支持', level: '县级', item: (y, c) => `科技型中小企业创新能力提升项目（${y}KJ${c}）`, body: (ent) => (ent.county.code.startsWith('37137') ? `${ent.county.name}科技创新局` : `${countyFullName(ent.county)}科学技术局`), amount: [20_000, 100_000, 5_000] },
  { type: '政府资金支持', level: '国家级', item: (y, c) => `国家重点研发计划课题（${y}YFD${c}）`, body: '中华人民共和国科学技术部', amount: [1_000_000, 5_000_000, 50_000] },
  { type: '参与标准制定', level: '省级', item: (y, c) => `参与制定山东省地方标准（DB37/T ${c}-${y}）`, body: '山东省市场监督管理局' },
  { type: '参与标准制定', level: '国家级', item: (y, c) => `参与制定国家标准（GB/T ${c}-${y}）`, body: '国家市场监督管理总局' },
  { type: '人才认证', level: '市级', item: (y, c) => `沂蒙英才计划·产业领军人才（${y}年第${c}号）`, body: '临沂市人力资源和社会保障局', amount: [100_000, 500_000, 50_000] },
  { type: '人才认证', level: '省级', item: (y, c) => `泰山产业领军人才工程（${y}-${c}）`, body: '山东省人力资源和社会保障厅', amount: [500_000, 1_000_000, 100_000] },
  { type: '其他', level: '省级', item: (y, c) => `山东省专精特新中小企业认定（${y}年第${c}号）`, body: '山东省工业和信息化厅' },
];

const SUPPORT_ORDER: readonly number[] = SUPPORTS.map((_, i) => i);

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

/** One row: field key -> cell text as a clerk's export would hold it ('' = empty cell). */
export type SyntheticRecord = Record<string, string>;

export interface SyntheticRowOptions {
  /** Enterprises to draw subjects from; default: a 200-enterprise pool of seed 1. */
  pool?: readonly Enterprise[];
  /** The subject of the row (or of the first group for syntheticRows). */
  enterprise?: Enterprise;
  /** Makes the row's natural key unique among rows of distinct seq (document number, account number, item code). */
  seq?: number;
  /** Fraction of rows whose dates are written YYYY/M/D instead of YYYY-MM-DD (default 0.15). */
  slashDates?: number;
  /** Event dates fall in [from, to]; default 2021-01-01 … 2025-06-30. Billing months end at `to`'s month. */
  from?: string;
  to?: string;
}

interface Ctx {
  readonly rng: Rng;
  readonly pool: readonly Enterprise[];
  readonly numbers: NumberSource;
  readonly slash: number;
  readonly from: string;
  readonly to: string;
  /** Serial for item codes, account numbers and certificates: unique per generator. */
  serial: number;
  /**
   * rnd/agri: the enterprise-level columns already given for an enterprise in this run. When a long
   * stream meets an enterprise again, it repeats them and adds at least one item, so the enterprise
   * stays consistent and the "no item" row (whose key has empty item columns) occurs once.
   */
  readonly heads: Map<string, SyntheticRecord>;
}

const DEFAULT_FROM = '2021-01-01';
const DEFAULT_TO = '2025-06-30';

/** A row with every field of the category, all empty (a spread of a fixed-shape template: cheap). */
function emptyRecord(categoryId: CategoryId): SyntheticRecord {
  return { ...EMPTY[categoryId] };
}

// Kept here (not read from the registry) so the library needs no file system; a test checks they agree.
export const FIELD_KEYS: Readonly<Record<CategoryId, readonly string[]>> = {
  licensing: ['subject_name', 'subject_uscc', 'subject_type', 'subject_reg_no', 'subject_org_code', 'subject_tax_no', 'subject_institution_no',
    'subject_social_org_no', 'legal_rep_name', 'legal_rep_id_type', 'legal_rep_id_number', 'decision_doc_name', 'decision_no', 'licence_kind',
    'certificate_name', 'licence_no', 'content', 'decision_date', 'valid_from', 'valid_to', 'status', 'authority_name', 'authority_uscc',
    'source_unit', 'source_unit_uscc', 'remarks'],
  penalty: ['subject_name', 'subject_uscc', 'subject_type', 'subject_reg_no', 'subject_org_code', 'subject_tax_no', 'subject_institution_no',
    'subject_social_org_no', 'legal_rep_name', 'legal_rep_id_type', 'legal_rep_id_number', 'decision_doc_name', 'decision_no', 'violation_type',
    'violation_facts', 'legal_basis', 'penalty_kinds', 'content', 'fine_amount', 'confiscated_amount', 'licence_suspended', 'decision_date',
    'valid_until', 'publicity_end', 'authority_name', 'authority_uscc', 'source_unit', 'source_unit_uscc', 'remarks'],
  enforcement: ['subject_name', 'subject_uscc', 'legal_rep_name', 'legal_rep_id_type', 'legal_rep_id_number', 'decision_doc_name', 'decision_no',
    'reason', 'legal_basis', 'method', 'executed_at', 'authority_name', 'authority_uscc', 'source_unit', 'source_unit_uscc', 'remarks'],
  water: ['subject_name', 'subject_uscc', 'account_name', 'account_no', 'billing_month', 'usage', 'amount_due', 'amount_paid', 'paid_date',
    'arrears', 'avg_usage_3m', 'avg_usage_6m', 'in_arrears'],
  gas: ['subject_name', 'subject_uscc', 'account_name', 'account_no', 'billing_month', 'usage', 'amount_due', 'amount_paid', 'paid_date',
    'arrears', 'avg_usage_3m', 'avg_usage_6m', 'in_arrears'],
  rnd: ['subject_name', 'subject_uscc', 'national_high_tech', 'high_tech_cert_no', 'high_tech_valid_to', 'support_info', 'support_type', 'support_item',
    'support_level', 'support_amount', 'support_date', 'granting_body'],
  agri: ['subject_name', 'subject_uscc', 'entity_type', 'principal', 'location', 'division_code', 'business_scope', 'right_type', 'right_cert_no',
    'area_mu', 'right_term_from', 'right_term_to', 'right_mortgaged', 'land_right_info', 'housing_right_info'],
};

const EMPTY: Readonly<Record<CategoryId, SyntheticRecord>> = Object.fromEntries(
  Object.entries(FIELD_KEYS).map(([id, keys]) => [id, Object.fromEntries(keys.map((k) => [k, '']))]),
) as Record<CategoryId, SyntheticRecord>;

function dateStyleFor(ctx: Ctx): DateStyle {
  return ctx.rng.chance(ctx.slash) ? 'slash' : 'iso';
}

function legalRepCells(r: SyntheticRecord, ent: Enterprise, rng: Rng): void {
  r.legal_rep_name = ent.legalRep.name;
  if (rng.chance(0.85)) {
    r.legal_rep_id_type = ent.legalRep.idType;
    r.legal_rep_id_number = ent.legalRep.idNumber;
  }
}

function subjectCodeCells(r: SyntheticRecord, ent: Enterprise, rng: Rng): void {
  r.subject_type = ent.subjectType;
  if (ent.regNo && rng.chance(0.6)) r.subject_reg_no = ent.regNo;
  if (ent.kind !== 'individual' && rng.chance(0.3)) r.subject_org_code = ent.orgCode;
  if (ent.regNo && rng.chance(0.2)) r.subject_tax_no = ent.county.code + ent.orgCode;
}

function pickTemplate<T extends { groups: readonly IndustryGroup[]; fits?: (i: Industry) => boolean }>(rng: Rng, templates: readonly T[], ent: Enterprise): T {
  const ok = (t: T) => t.groups.includes(ent.industry.group) && (t.fits === undefined || t.fits(ent.industry));
  // Rejection sampling keeps this allocation-free; every group has at least one template of each family.
  for (let i = 0; i < 16; i++) {
    const t = rng.pick(templates);
    if (ok(t)) return t;
  }
  return templates.find(ok) ?? templates[0];
}

function agencyFor(rng: Rng, dept: Department, ent: Enterprise): Agency {
  const list = AGENCIES_BY_DEPT[dept];
  // The bureau of the enterprise's own county when there is one (mostly), else the city bureau.
  const local = list.find((a) => a.serves === ent.county.code);
  const city = list.find((a) => a.serves === '371300');
  if (local && (!city || rng.chance(0.65))) return local;
  return city ?? rng.pick(list);
}

/** The deciding agency, and (mostly) the 数据提供单位 its records name. */
function agencyCells(r: SyntheticRecord, a: Agency, rng: Rng): void {
  r.authority_name = a.name;
  r.authority_uscc = a.uscc;
  if (rng.chance(0.93)) {
    r.source_unit = a.sourceUnit;
    const unit = findAgency(a.sourceUnit);
    if (unit && rng.chance(0.8)) r.source_unit_uscc = unit.uscc;
  }
}

function licensingRow(ctx: Ctx, ent: Enterprise): SyntheticRecord {
  const { rng } = ctx;
  const r = emptyRecord('licensing');
  const style = dateStyleFor(ctx);
  const t = pickTemplate(rng, LICENCES, ent);
  const a = agencyFor(rng, t.dept, ent);
  // A registration is the founding (设立) when that falls in the range, else a later change (变更).
  const founding = t.kind === '登记' && ent.founded >= ctx.from && ent.founded <= ctx.to;
  const decided = founding ? ent.founded : dateBetween(rng, ctx.from, ctx.to);
  const year = decided.slice(0, 4);
  const n = ctx.numbers.next(`${a.abbr}|${t.series}|${year}`);
  r.subject_name = ent.name;
  r.subject_uscc = ent.uscc;
  subjectCodeCells(r, ent, rng);
  legalRepCells(r, ent, rng);
  r.decision_doc_name = t.kind === '登记' && !founding ? '准予变更登记通知书' : t.docName;
  r.decision_no = t.kind === '登记' ? `${a.abbr}登字〔${year}〕第${pad(n, 5)}号` : `${a.abbr}${t.series}〔${year}〕${pad(n, 4)}号`;
  r.licence_kind = t.kind;
  r.certificate_name = t.certificate;
  r.licence_no = t.number({ rng, ent, division: a.division === '371300' ? ent.county.code : a.division, year, n });
  r.content = t.kind === '登记' && !founding ? rng.pick(['变更登记（经营范围）', '变更登记（法定代表人）', '变更登记（住所）', '变更登记（注册资本）']) : t.content(rng, ent);
  r.decision_date = formatDate(decided, style);
  const from = rng.chance(0.8) ? decided : addDays(decided, rng.int(1, 10));
  r.valid_from = formatDate(from, style);
  r.valid_to = t.years === 0 ? '长期' : formatDate(addYears(from, t.years, 1), style);
  const expired = t.years > 0 && addYears(from, t.years, 1) < ctx.to;
  r.status = expired ? '无效' : rng.chance(0.05) ? rng.pick(['注销', '撤回']) : '有效';
  agencyCells(r, a, rng);
  return r;
}

function penaltyRow(ctx: Ctx, ent: Enterprise): SyntheticRecord {
  const { rng } = ctx;
  const r = emptyRecord('penalty');
  const style = dateStyleFor(ctx);
  const t = pickTemplate(rng, PENALTIES, ent);
  const a = agencyFor(rng, t.dept, ent);
  const decided = dateBetween(rng, ctx.from, ctx.to);
  const found = addDays(decided, -rng.int(20, 120));
  const year = decided.slice(0, 4);
  const n = ctx.numbers.next(`${a.abbr}|罚|${year}`);
  r.subject_name = ent.name;
  r.subject_uscc = ent.uscc;
  subjectCodeCells(r, ent, rng);
  legalRepCells(r, ent, rng);
  r.decision_doc_name = t.docName ?? '行政处罚决定书';
  r.decision_no = t.dept === 'ecology' ? `${a.abbr}罚字〔${year}〕第${pad(n, 4)}号`
    : t.dept === 'emergency' ? `（${a.abbr.replace('应急', '')}）应急罚〔${year}〕${n}号`
      : `${a.abbr}${t.dept === 'market' ? '处罚' : '罚字'}〔${year}〕${n}号`;
  r.violation_type = t.violationType;
  r.violation_facts = t.facts({ rng, ent, found });
  r.legal_basis = t.basis;
  r.penalty_kinds = t.kinds.join('、');
  const parts: string[] = [];
  if (t.kinds.includes('警告')) parts.push('给予警告');
  let confiscatedYuan = 0;
  if (t.confiscate) {
    confiscatedYuan = rng.int(t.confiscate[0], t.confiscate[1]);
    parts.push(`没收违法所得${confiscatedYuan}元`);
    if (t.kinds.includes('没收非法财物')) parts.push('没收违法生产的产品');
  }
  if (t.fine) {
    const fineYuan = Math.round(rng.int(Math.ceil(t.fine[0] / t.fine[2]), Math.floor(t.fine[1] / t.fine[2])) * t.fine[2]);
    parts.push(`${parts.length ? '并处' : ''}罚款人民币${fineYuan}元`);
    r.fine_amount = wanFromFen(fineYuan * 100);
  }
  if (confiscatedYuan) r.confiscated_amount = wanFromFen(confiscatedYuan * 100);
  r.content = `${t.kinds.includes('警告') && !t.fine ? '责令改正，' : '1.责令改正；2.'}${parts.join('，')}`;
  r.decision_date = formatDate(decided, style);
  const years = t.serious ? 3 : 1;
  r.valid_until = formatDate(addYears(decided, 3, 1), style);
  r.publicity_end = t.kinds.length === 1 && t.kinds[0] === '警告' ? formatDate(addDays(decided, 90), style) : formatDate(addYears(decided, years, 1), style);
  agencyCells(r, a, rng);
  return r;
}

function enforcementRow(ctx: Ctx, ent: Enterprise): SyntheticRecord {
  const { rng } = ctx;
  const r = emptyRecord('enforcement');
  const style = dateStyleFor(ctx);
  const t = pickTemplate(rng, ENFORCEMENTS, ent);
  const a = agencyFor(rng, t.dept, ent);
  const executed = dateBetween(rng, ctx.from, ctx.to);
  const year = executed.slice(0, 4);
  const n = ctx.numbers.next(`${a.abbr}|${t.series}|${year}`);
  r.subject_name = ent.name;
  r.subject_uscc = ent.uscc;
  legalRepCells(r, ent, rng);
  r.decision_doc_name = t.docName;
  r.decision_no = `${a.abbr}${t.series}〔${year}〕${n}号`;
  r.reason = t.reason({ rng, ent, found: addDays(executed, -rng.int(10, 60)) });
  r.legal_basis = t.basis;
  r.method = t.method;
  r.executed_at = formatDate(executed, style);
  agencyCells(r, a, rng);
  if (rng.chance(0.1)) r.remarks = rng.pick(['已执行完毕', '当事人已履行', '申请人民法院强制执行']);
  return r;
}

const WATER_PRICE_FEN = 410; // non-residential water incl. sewage charge, yuan/t ×100
const GAS_PRICE_FEN = 386; // non-residential natural gas, yuan/m³ ×100

/** The account history of one utility account: 6-12 consecutive months ending at `to`'s month (or earlier). */
function utilityRows(ctx: Ctx, ent: Enterprise, cat: 'water' | 'gas', maxRows: number): SyntheticRecord[] {
  const { rng } = ctx;
  const [lo, hi] = cat === 'water' ? ent.industry.water : ent.industry.gas;
  const base = rng.int(Math.max(lo, 1), Math.max(hi, 2)) * 10; // tenths of a unit
  const months = Math.min(rng.int(6, 12), maxRows);
  // The latest bill is for the month before `to` (so it can be paid by then); a few accounts stop earlier.
  const last = addMonths(ctx.to.slice(0, 7), -1 - (rng.chance(0.8) ? 0 : rng.int(1, 3)));
  const first = addMonths(last, 1 - months);
  const serial = ++ctx.serial;
  const accountNo = cat === 'water' ? `LS${pad(1_000_000 + ((serial * 7919) % 9_000_000), 7)}` : `RQ${first.slice(0, 4)}${pad(serial, 6)}`;
  const price = cat === 'water' ? WATER_PRICE_FEN : GAS_PRICE_FEN;
  // Some accounts left the latest one or two bills unpaid.
  const unpaid = rng.chance(0.15) ? rng.int(1, 2) : 0;
  const usage: number[] = [];
  const rows: SyntheticRecord[] = [];
  const style = dateStyleFor(ctx);
  let arrearsTotal = 0;
  for (let i = 0; i < months; i++) {
    const month = addMonths(first, i);
    const r = emptyRecord(cat);
    const u = Math.max(1, Math.round(base * (0.75 + rng.next() * 0.5))); // tenths
    usage.push(u);
    const dueFen = Math.round((u * price) / 10);
    const isUnpaid = i >= months - unpaid;
    const partial = !isUnpaid && rng.chance(0.04);
    const paidFen = isUnpaid ? 0 : partial ? Math.round(dueFen / 2) : dueFen;
    r.subject_name = ent.name;
    r.subject_uscc = ent.uscc;
    r.account_name = ent.name;
    r.account_no = accountNo;
    r.billing_month = month;
    r.usage = quantityFromMilli(u * 100);
    r.amount_due = yuanFromFen(dueFen);
    r.amount_paid = yuanFromFen(paidFen);
    if (paidFen > 0) r.paid_date = formatDate(`${addMonths(month, 1)}-${pad(rng.int(3, 25), 2)}`, style);
    r.arrears = yuanFromFen(dueFen - paidFen);
    arrearsTotal += dueFen - paidFen;
    rows.push(r);
  }
  // The provider's own indicators, on the latest row of the account (as the interface returns them).
  const lastRow = rows[rows.length - 1];
  const avg = (k: number) => quantityFromMilli(Math.round((usage.slice(-k).reduce((s, x) => s + x, 0) * 100) / k));
  if (usage.length >= 3) lastRow.avg_usage_3m = avg(3);
  if (usage.length >= 6) lastRow.avg_usage_6m = avg(6);
  lastRow.in_arrears = arrearsTotal > 0 ? '是' : '否';
  return rows;
}

function rememberHead(ctx: Ctx, ent: Enterprise, head: SyntheticRecord): void {
  // Bounded: beyond this the stream may repeat an enterprise's "no item" row (benchmarks over >50k-enterprise pools).
  if (ctx.heads.size < 50_000) ctx.heads.set(ent.uscc, head);
}

function rndRows(ctx: Ctx, ent: Enterprise, maxRows: number, minRows: number): SyntheticRecord[] {
  const { rng } = ctx;
  const style = dateStyleFor(ctx);
  const g = ent.industry.group;
  const innovative = g === 'mfg' || g === 'chem' || g === 'food' || g === 'agri';
  let head = ctx.heads.get(ent.uscc);
  const again = head !== undefined;
  if (!head) {
    head = emptyRecord('rnd');
    head.subject_name = ent.name;
    head.subject_uscc = ent.uscc;
    const highTech = ent.kind === 'company' && rng.chance(innovative ? 0.55 : 0.08);
    head.national_high_tech = highTech ? '是' : '否';
    if (highTech) {
      const issued = dateBetween(rng, '2022-11-01', '2024-12-31');
      head.high_tech_cert_no = `GR${issued.slice(0, 4)}37${pad(rng.int(1, 9999), 6)}`;
      head.high_tech_valid_to = formatDate(addYears(issued, 3, 1), style);
    }
    rememberHead(ctx, ent, head);
  }
  const highTech = head.national_high_tech === '是';
  if (again) minRows = Math.max(minRows, 1);
  const wanted = ent.kind !== 'company' ? rng.int(0, 1) : highTech ? rng.int(1, 5) : rng.chance(innovative ? 0.2 : 0.5) ? 0 : rng.int(1, 3);
  const count = Math.min(Math.max(wanted, minRows), maxRows, SUPPORTS.length);
  if (count === 0) return [head];
  const rows: SyntheticRecord[] = [];
  // Distinct kinds of support: a partial shuffle of the template indexes.
  const order = SUPPORT_ORDER.slice();
  for (let i = 0; i < count; i++) {
    const j = rng.int(i, order.length - 1);
    [order[i], order[j]] = [order[j], order[i]];
    const t = SUPPORTS[order[i]];
    const date = dateBetween(rng, ctx.from, ctx.to);
    const r = { ...head };
    r.support_type = t.type;
    r.support_item = t.item(date.slice(0, 4), pad(++ctx.serial, 3));
    r.support_level = t.level;
    if (t.amount) r.support_amount = amountWan(rng, t.amount[0], t.amount[1], t.amount[2]);
    r.support_date = formatDate(date, style);
    r.granting_body = typeof t.body === 'string' ? t.body : t.body(ent);
    rows.push(r);
  }
  return rows;
}

const LAND = '农村土地经营权';
const HOUSE = '农民住房财产权';

function agriRows(ctx: Ctx, ent: Enterprise, maxRows: number, minRows: number): SyntheticRecord[] {
  const { rng } = ctx;
  const style = dateStyleFor(ctx);
  let head = ctx.heads.get(ent.uscc);
  if (head) minRows = Math.max(minRows, 1);
  else {
    head = emptyRecord('agri');
    head.subject_name = ent.name;
    head.subject_uscc = ent.uscc;
    head.entity_type = ent.agriType ?? '其他';
    head.principal = ent.legalRep.name;
    head.location = `临沂市${ent.county.name}${ent.town}`;
    if (rng.chance(0.85)) head.division_code = ent.county.code;
    head.business_scope = ent.agriScope ?? ent.industry.scope;
    rememberHead(ctx, ent, head);
  }
  // 龙头企业 always farm land; a few co-ops and farms hold no certificate yet.
  const wanted = ent.kind === 'company' ? rng.int(3, 8) : rng.chance(0.08) ? 0 : ent.agriType === '家庭农场' ? rng.int(1, 4) : rng.int(3, 8);
  const count = Math.min(Math.max(wanted, minRows), maxRows);
  if (count === 0) return [head];
  const rows: SyntheticRecord[] = [];
  for (let i = 0; i < count; i++) {
    const r = { ...head };
    const house = ent.agriType === '家庭农场' && i === 0 && rng.chance(0.6);
    const year = String(rng.int(2018, 2024));
    r.right_type = house ? HOUSE : LAND;
    const serial = pad(++ctx.serial, 7);
    r.right_cert_no = house ? `鲁（${year}）${ent.county.name}不动产权第${serial}号` : `鲁（${year}）${ent.county.name}农村土地经营权第${serial}号`;
    r.area_mu = house ? quantityFromMilli(rng.int(200, 600) * 1) : quantityFromMilli(rng.int(50, 3000) * 100 + rng.pick([0, 0, 500]));
    r.right_term_to = house ? '长期' : formatDate(`${rng.pick(['2028', '2030', '2033', '2035', '2040'])}-12-31`, style);
    r.right_mortgaged = rng.chance(0.3) ? '是' : '否';
    rows.push(r);
  }
  return rows;
}

function groupFor(categoryId: CategoryId, ctx: Ctx, ent: Enterprise, maxRows = Infinity, minRows = 0): SyntheticRecord[] {
  switch (categoryId) {
    case 'licensing': return [licensingRow(ctx, ent)];
    case 'penalty': return [penaltyRow(ctx, ent)];
    case 'enforcement': return [enforcementRow(ctx, ent)];
    case 'water': case 'gas': return utilityRows(ctx, ent, categoryId, maxRows);
    case 'rnd': return rndRows(ctx, ent, maxRows, minRows);
    case 'agri': return agriRows(ctx, ent, maxRows, minRows);
  }
}

let defaultPool: readonly Enterprise[] | undefined;

function makeCtx(rng: Rng, opts: SyntheticRowOptions, numbers: NumberSource): Ctx {
  return {
    rng, numbers, pool: opts.pool ?? (defaultPool ??= enterprisePool(1, 200)), slash: opts.slashDates ?? 0.15,
    from: opts.from ?? DEFAULT_FROM, to: opts.to ?? DEFAULT_TO, serial: opts.seq ?? 0, heads: new Map(),
  };
}

/** Whether a category's provider would know the enterprise (agri: agricultural entities; gas: gas users …). */
export function eligible(categoryId: CategoryId, ent: Enterprise): boolean {
  switch (categoryId) {
    case 'agri': return ent.agriType !== undefined;
    case 'rnd': return ent.kind === 'company' || ent.kind === 'coop';
    case 'gas': return ent.industry.gas[1] > 0;
    default: return true;
  }
}

function pickEligible(ctx: Ctx, categoryId: CategoryId): Enterprise {
  for (let i = 0; i < 50; i++) {
    const e = ctx.pool[Math.floor(ctx.rng.next() * ctx.pool.length)];
    if (eligible(categoryId, e)) return e;
  }
  return ctx.pool[0];
}

/**
 * A stateful row source: document numbers, account numbers and item codes never repeat within one
 * source, so the natural keys of everything it yields are unique.
 */
export class SyntheticSource {
  private readonly ctx: Ctx;
  constructor(rng: Rng, private readonly opts: SyntheticRowOptions = {}) {
    this.ctx = makeCtx(rng, opts, new Numbering(rng.fork('numbers')));
  }

  /**
   * The rows of one grain group for the enterprise (default: a random eligible one of the pool):
   * one decision (licensing, penalty, enforcement), one account's 6-12 consecutive billing months
   * (water, gas), all support items (rnd) or property rights (agri) of the enterprise.
   * `items` bounds the number of rnd support items / agri rights ({ max: 0 }: the one row with those columns empty).
   */
  group(categoryId: CategoryId, ent: Enterprise = pickEligible(this.ctx, categoryId), items: { min?: number; max?: number } = {}): SyntheticRecord[] {
    return groupFor(categoryId, this.ctx, ent, items.max ?? Infinity, items.min ?? 0);
  }

  /** An endless stream of groups; `opts.enterprise` is the subject of the first one. */
  *rows(categoryId: CategoryId): Generator<SyntheticRecord, never, undefined> {
    let ent = this.opts.enterprise;
    for (;;) {
      const rows = this.group(categoryId, ent);
      ent = undefined;
      for (const r of rows) yield r;
    }
  }
}

/**
 * One clean row of a category. Without `seq`, document numbers are random (use syntheticRows for
 * many rows with unique natural keys); water/gas give one month of a fresh account, rnd/agri one item.
 */
export function syntheticRow(categoryId: CategoryId, rng: Rng, opts: SyntheticRowOptions = {}): SyntheticRecord {
  const seq = opts.seq ?? rng.int(0, 9998);
  const ctx = makeCtx(rng, { ...opts, seq }, fixedNumber(seq));
  const rows = groupFor(categoryId, ctx, opts.enterprise ?? pickEligible(ctx, categoryId), 1);
  return rows[rows.length - 1];
}

/**
 * An endless stream of clean rows of a category at its grain, natural keys unique over the stream
 * (see SyntheticSource.group). Take what you need: `for (const r of syntheticRows('penalty', rng)) …`.
 */
export function syntheticRows(categoryId: CategoryId, rng: Rng, opts: SyntheticRowOptions = {}): Generator<SyntheticRecord, never, undefined> {
  return new SyntheticSource(rng, opts).rows(categoryId);
}

// ---------------------------------------------------------------------------------------------
// CSV
// ---------------------------------------------------------------------------------------------

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV record (RFC 4180 quoting) without its line break. */
export function csvLine(cells: readonly string[]): string {
  let s = '';
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    if (i > 0) s += ',';
    s += NEEDS_QUOTES.test(c) ? `"${c.replaceAll('"', '""')}"` : c;
  }
  return s;
}

/** RFC 4180 CSV, Excel style: a field is quoted when it holds a comma, quote, CR or LF; every record ends with CRLF. */
export function writeCsv(rows: readonly (readonly string[])[]): string {
  let s = '';
  for (const r of rows) s += csvLine(r) + '\r\n';
  return s;
}
