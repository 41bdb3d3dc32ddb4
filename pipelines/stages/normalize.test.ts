import { describe, it, expect } from 'vitest';
import { usccCheckChar } from '../../lib/checks.ts';
import { category, findCategory, type FieldSpec } from '../../schemas/registry.ts';
import { normalizeRecord, normalizeValue } from './normalize.ts';

const penalty = findCategory('penalty')!;
const licensing = findCategory('licensing')!;
const fieldOf = (cat: string, key: string): FieldSpec => findCategory(cat)!.field.get(key)!;

const text = fieldOf('penalty', 'violation_facts');
const uscc = fieldOf('penalty', 'subject_uscc');
const orgCode = fieldOf('penalty', 'subject_org_code');
const certNumber = fieldOf('penalty', 'legal_rep_id_number');
const divisionCode = fieldOf('agri', 'division_code');
const date = fieldOf('penalty', 'decision_date');
const longTerm = fieldOf('licensing', 'valid_to');
const month = fieldOf('water', 'billing_month');
const wan = fieldOf('penalty', 'fine_amount');
const yuan = fieldOf('water', 'amount_due');
const tons = fieldOf('water', 'usage');
const cubicMetres = fieldOf('gas', 'usage');
const mu = fieldOf('agri', 'area_mu');
const yesNo = fieldOf('water', 'in_arrears');
const subjectType = fieldOf('penalty', 'subject_type');
const licenceKind = fieldOf('licensing', 'licence_kind');
const idType = fieldOf('penalty', 'legal_rep_id_type');
const status = fieldOf('licensing', 'status');
const penaltyKinds = fieldOf('penalty', 'penalty_kinds');

describe('empty cells', () => {
  it.each(['', '   ', '\u3000', '\u00a0', '\u200b', '/', '／', '无', '-', '－', '—', 'null', 'NULL', 'N/A', ' 无 '])(
    '%j is empty for every kind', (cell) => {
      for (const f of [text, uscc, date, wan, yesNo, subjectType, penaltyKinds]) expect(normalizeValue(f, cell)).toBeUndefined();
    });

  it('trims full-width spaces, NBSP and zero-width characters', () => {
    expect(normalizeValue(text, '\u3000\u00a0\u200b违法排污\ufeff\u200b ')).toBe('违法排污');
  });
});

describe('text', () => {
  it('keeps internal newlines and spaces and leaves full-width characters alone', () => {
    expect(normalizeValue(text, '  第一条\n第二条  ')).toBe('第一条\n第二条');
    expect(normalizeValue(text, '（一）未按规定 ＡＢＣ１２３')).toBe('（一）未按规定 ＡＢＣ１２３');
  });
});

describe('identifiers', () => {
  it('half-widths, removes spaces and upper-cases', () => {
    expect(normalizeValue(uscc, ' ９１３７１３００３２８３４８３７７ｎ ')).toBe('91371300328348377N');
    expect(normalizeValue(uscc, '9137 1300 3283 4837 7n')).toBe('91371300328348377N');
    expect(normalizeValue(divisionCode, '３７１３０２')).toBe('371302');
  });

  it('upper-cases a lower-case x in an identity number', () => {
    expect(normalizeValue(certNumber, '11010519491231002x')).toBe('11010519491231002X');
  });

  it('removes the hyphen of an organisation code (also full-width)', () => {
    expect(normalizeValue(orgCode, '32834837-7')).toBe('328348377');
    expect(normalizeValue(orgCode, '32834837－7')).toBe('328348377');
  });
});

describe('date', () => {
  it.each([
    ['2024-03-15', '2024-03-15'],
    ['2024/3/15', '2024-03-15'],
    ['2024/03/05', '2024-03-05'],
    ['2024.3.5', '2024-03-05'],
    ['20240315', '2024-03-15'],
    ['2024年3月15日', '2024-03-15'],
    ['2024年03月05日', '2024-03-05'],
    ['２０２４－０３－１５', '2024-03-15'],
    ['２０２４年３月１５日', '2024-03-15'],
    ['2024-03-15 00:00:00', '2024-03-15'],
    ['2024-03-15T08:00:00', '2024-03-15'],
    ['2024/3/15 8:30', '2024-03-15'],
    ['2024-03-15 00:00:00.0', '2024-03-15'],
    ['2024-02-29', '2024-02-29'],
    ['2000-02-29', '2000-02-29'],
  ])('%j -> %s', (cell, iso) => expect(normalizeValue(date, cell)).toBe(iso));

  it('reads Excel serials in the 1900 date system', () => {
    expect(normalizeValue(date, '45366')).toBe('2024-03-15');
    expect(normalizeValue(date, '45366.5')).toBe('2024-03-15');
    expect(normalizeValue(date, '20000')).toBe('1954-10-03');
    expect(normalizeValue(date, '19999')).toBe('19999');
    expect(normalizeValue(date, '80001')).toBe('80001');
  });

  it('reads epoch milliseconds as Asia/Shanghai calendar days', () => {
    expect(normalizeValue(date, '1568180781000')).toBe('2019-09-11');
    expect(normalizeValue(date, '1710433800000')).toBe('2024-03-15'); // 2024-03-14T16:30Z = 00:30 in Shanghai
    expect(normalizeValue(date, '1710431940000')).toBe('2024-03-14'); // 23:59 in Shanghai
  });

  it.each(['2024-02-30', '2023-02-29', '1900-02-29', '2024-13-01', '2024-00-10', '20240230', '2024年2月30日', '2024/04/31',
    '2024-03-15T08:00:00Z', '15/03/2024', '2024-3-15日', '明天', '1e5'])(
    'keeps %j unchanged for the validator', (cell) => expect(normalizeValue(date, cell)).toBe(cell));

  it('returns the trimmed original, not a half-widthed one, when it cannot parse', () => {
    expect(normalizeValue(date, ' ２０２４－０２－３０ ')).toBe('２０２４－０２－３０');
  });

  it('does not mix separators', () => {
    expect(normalizeValue(date, '2024-03/15')).toBe('2024-03/15');
  });
});

describe('dateOrLongTerm', () => {
  it.each(['长期', '永久', '长期有效', '2099/12/31', '2099-12-31', '9999-12-31', '9999/12/31', '99991231'])(
    '%j means long-term', (cell) => expect(normalizeValue(longTerm, cell)).toBe('2099-12-31'));

  it('is a date otherwise', () => {
    expect(normalizeValue(longTerm, '2026/1/9')).toBe('2026-01-09');
    expect(normalizeValue(longTerm, '45366')).toBe('2024-03-15');
    expect(normalizeValue(longTerm, '2026-02-30')).toBe('2026-02-30');
    expect(normalizeValue(longTerm, '长期未定')).toBe('长期未定');
  });
});

describe('month', () => {
  it.each([
    ['2024-03', '2024-03'],
    ['2024/3', '2024-03'],
    ['2024.3', '2024-03'],
    ['202403', '2024-03'],
    ['2024年3月', '2024-03'],
    ['２０２４年１２月', '2024-12'],
    ['2024-03-15', '2024-03'],
    ['2024年3月1日', '2024-03'],
    ['45366', '2024-03'],
  ])('%j -> %s', (cell, ym) => expect(normalizeValue(month, cell)).toBe(ym));

  it.each(['2024-13', '202400', '2024年0月', '2024-02-30', '三月'])('keeps %j unchanged', (cell) => {
    expect(normalizeValue(month, cell)).toBe(cell);
  });
});

describe('amounts and quantities', () => {
  it.each([
    ['2.5', '2.5'],
    ['2.500', '2.5'],
    ['3.0', '3'],
    ['0.000', '0'],
    ['0', '0'],
    ['007.10', '7.1'],
    ['0.05', '0.05'],
    ['1,234,567.50', '1234567.5'],
    ['１，２３４．５０', '1234.5'],
    ['1 234', '1234'],
    ['5万元', '5'],
    ['5 万元', '5'],
    ['¥12', '12'],
    ['￥1,000万元', '1000'],
  ])('万元 %j -> %s', (cell, canonical) => expect(normalizeValue(wan, cell)).toBe(canonical));

  it('strips the unit of the field only', () => {
    expect(normalizeValue(yuan, '1,200.50元')).toBe('1200.5');
    expect(normalizeValue(tons, '35吨')).toBe('35');
    expect(normalizeValue(cubicMetres, '120立方米')).toBe('120');
    expect(normalizeValue(cubicMetres, '120m³')).toBe('120');
    expect(normalizeValue(cubicMetres, '120 m3')).toBe('120');
    expect(normalizeValue(mu, '12.50亩')).toBe('12.5');
    expect(normalizeValue(tons, '35立方米')).toBe('35立方米');
  });

  it('converts an amount written in the other money unit, exactly', () => {
    expect(normalizeValue(wan, '500元')).toBe('0.05');
    expect(normalizeValue(wan, '20,000元')).toBe('2');
    expect(normalizeValue(wan, '2万')).toBe('2');
    expect(normalizeValue(wan, '0.01元')).toBe('0.000001');
    expect(normalizeValue(yuan, '5万元')).toBe('50000');
    expect(normalizeValue(yuan, '1.23456万')).toBe('12345.6');
    expect(normalizeValue(yuan, '0.1万元')).toBe('1000');
  });

  it('keeps the cell as delivered when it converted the unit, and says so', () => {
    const r = normalizeRecord(category('penalty'), { fine_amount: '20000元', confiscated_amount: '0.35' });
    expect(r.fields).toMatchObject({ fine_amount: '2', confiscated_amount: '0.35' });
    expect(r.originals).toEqual({ fine_amount: '20000元' });
    expect(r.notes).toContainEqual(expect.objectContaining({ code: 'W_UNIT_CONVERTED', field: 'fine_amount', value: '20000元', detail: '2万元' }));
  });

  it('never rounds: too many decimals stay for the validator', () => {
    expect(normalizeValue(wan, '1.1234567')).toBe('1.1234567');
    expect(normalizeValue(yuan, '10.005')).toBe('10.005');
    expect(normalizeValue(wan, '12345678901234567890.5')).toBe('12345678901234567890.5');
  });

  it.each(['-5', '－5', '1e3', '1.2.3', '12,34', '2,5', '约5万', '.5', '5.'])('keeps %j unchanged', (cell) => {
    expect(normalizeValue(wan, cell)).toBe(cell);
  });
});

describe('yesNo', () => {
  it.each(['是', 'Y', 'y', 'yes', 'YES', 'true', 'TRUE', '1', '１', '√'])('%j -> true', (cell) => {
    expect(normalizeValue(yesNo, cell)).toBe(true);
  });
  it.each(['否', 'N', 'n', 'no', 'false', 'FALSE', '0', '×'])('%j -> false', (cell) => {
    expect(normalizeValue(yesNo, cell)).toBe(false);
  });
  it.each(['有', '是的', '2'])('keeps %j for the validator', (cell) => expect(normalizeValue(yesNo, cell)).toBe(cell));
});

describe('code', () => {
  it('maps labels and aliases to the canonical code', () => {
    expect(normalizeValue(subjectType, '法人')).toBe('法人及非法人组织');
    expect(normalizeValue(subjectType, '法人及非法人组织')).toBe('法人及非法人组织');
    expect(normalizeValue(subjectType, ' 个体户 ')).toBe('个体工商户');
    expect(normalizeValue(idType, '居民身份证')).toBe('身份证');
    expect(normalizeValue(idType, '护照')).toBe('护照号');
    expect(normalizeValue(licenceKind, '普通许可')).toBe('普通');
    expect(normalizeValue(status, '1')).toBe('有效');
  });

  it('keeps open values with the prefix in canonical form', () => {
    expect(normalizeValue(licenceKind, '其他-备案')).toBe('其他-备案');
    expect(normalizeValue(licenceKind, '其他－备案')).toBe('其他-备案');
    expect(normalizeValue(idType, '其他－军官证')).toBe('其他-军官证');
    expect(normalizeValue(licenceKind, '其他')).toBe('其他');
  });

  it('keeps unknown values as delivered', () => {
    expect(normalizeValue(subjectType, '法人单位X')).toBe('法人单位X');
    expect(normalizeValue(licenceKind, '其他－')).toBe('其他－');
    expect(normalizeValue(status, '其他-备案')).toBe('其他-备案'); // no open prefix on this list
  });
});

describe('codes', () => {
  it('maps a legacy label containing the separator to several codes', () => {
    expect(normalizeValue(penaltyKinds, '暂扣或者吊销许可证、暂扣或者吊销执照')).toEqual(['暂扣许可证件', '吊销许可证件']);
    expect(normalizeValue(penaltyKinds, '没收违法所得、没收非法财物')).toEqual(['没收违法所得', '没收非法财物']);
  });

  it('splits on every separator and orders by the code list', () => {
    expect(normalizeValue(penaltyKinds, '罚款、没收违法所得')).toEqual(['罚款', '没收违法所得']);
    expect(normalizeValue(penaltyKinds, '没收违法所得，罚款')).toEqual(['罚款', '没收违法所得']);
    expect(normalizeValue(penaltyKinds, '罚款;警告；拘留/吊销执照,责令停业')).toEqual(['警告', '罚款', '吊销许可证件', '责令停产停业', '行政拘留']);
  });

  it('expands legacy parts and removes duplicates', () => {
    expect(normalizeValue(penaltyKinds, '罚款、暂扣或者吊销许可证、暂扣或者吊销执照、罚款'))
      .toEqual(['罚款', '暂扣许可证件', '吊销许可证件']);
    expect(normalizeValue(penaltyKinds, '吊销许可证；暂扣或吊销执照')).toEqual(['暂扣许可证件', '吊销许可证件']);
  });

  it('drops empty tokens', () => {
    expect(normalizeValue(penaltyKinds, '罚款、、 无 ,')).toEqual(['罚款']);
    expect(normalizeValue(penaltyKinds, '、；')).toBeUndefined();
  });

  it('keeps unknown parts as delivered, after the known codes', () => {
    expect(normalizeValue(penaltyKinds, '警示、罚款')).toEqual(['罚款', '警示']);
  });
});

describe('normalizeRecord', () => {
  it('normalises each field and drops empty ones', () => {
    const { fields, notes } = normalizeRecord(penalty, {
      subject_name: ' 某某公司 ', subject_uscc: '91371300328348377n', fine_amount: '2.500', remarks: '无', penalty_kinds: '罚款',
    });
    expect(fields).toEqual({ subject_name: '某某公司', subject_uscc: '91371300328348377N', fine_amount: '2.5', penalty_kinds: ['罚款'] });
    expect(notes).toEqual([]);
  });

  it('rejects keys that are not fields of the category', () => {
    expect(() => normalizeRecord(penalty, { nonsense: 'x' })).toThrow(/nonsense/);
  });

  it('infers 身份证 for a resident number without a type', () => {
    expect(normalizeRecord(penalty, { legal_rep_id_number: '11010519491231002x' }).fields)
      .toEqual({ legal_rep_id_number: '11010519491231002X', legal_rep_id_type: '身份证' });
    expect(normalizeRecord(penalty, { legal_rep_id_number: 'E12345678' }).fields).toEqual({ legal_rep_id_number: 'E12345678' });
    expect(normalizeRecord(penalty, { legal_rep_id_type: '护照号', legal_rep_id_number: '110105194912310021' }).fields.legal_rep_id_type)
      .toBe('护照号');
  });

  it('upgrades a 15-digit resident number and says so', () => {
    const inputs: Record<string, string>[] = [
      { legal_rep_id_number: ' 150102880730303' }, { legal_rep_id_type: '居民身份证', legal_rep_id_number: ' 150102880730303' },
    ];
    for (const raw of inputs) {
      const { fields, notes } = normalizeRecord(licensing, raw);
      expect(fields).toEqual({ legal_rep_id_type: '身份证', legal_rep_id_number: '150102198807303035' });
      expect(notes).toEqual([{ code: 'W_ID_UPGRADED', field: 'legal_rep_id_number', value: ' 150102880730303', detail: '150102198807303035' }]);
    }
  });

  it('does not upgrade a 15-digit number of another type', () => {
    const { fields } = normalizeRecord(penalty, { legal_rep_id_type: '护照', legal_rep_id_number: '150102880730303' });
    expect(fields.legal_rep_id_number).toBe('150102880730303');
  });

  it('warns when a certificate number does not match its type', () => {
    expect(normalizeRecord(penalty, { legal_rep_id_type: '港澳通行证', legal_rep_id_number: 'H1234567' }).notes)
      .toEqual([{ code: 'W_CERT_PATTERN', field: 'legal_rep_id_number', value: 'H1234567', detail: '港澳居民来往内地通行证' }]);
    expect(normalizeRecord(penalty, { legal_rep_id_type: '护照号', legal_rep_id_number: 'E-1234' }).notes)
      .toEqual([{ code: 'W_CERT_PATTERN', field: 'legal_rep_id_number', value: 'E-1234', detail: '护照号' }]);
  });

  it('does not warn for matching numbers, 身份证 (the validator checks those) or open types', () => {
    for (const raw of [
      { legal_rep_id_type: '港澳居民来往内地通行证', legal_rep_id_number: 'h12345678' },
      { legal_rep_id_type: '台胞证', legal_rep_id_number: '12345678' },
      { legal_rep_id_type: '外国人永久居留身份证', legal_rep_id_number: '932682198501010017' },
      { legal_rep_id_type: '护照', legal_rep_id_number: 'E12345678' },
      { legal_rep_id_type: '身份证', legal_rep_id_number: '12345' },
      { legal_rep_id_type: '其他-军官证', legal_rep_id_number: '军字第123号' },
    ]) expect(normalizeRecord(penalty, raw).notes).toEqual([]);
  });

  it('warns about an unknown USCC prefix only on otherwise valid codes', () => {
    const body = '14371300328348377';
    const unknownPrefix = body + usccCheckChar(body);
    expect(normalizeRecord(penalty, { subject_uscc: unknownPrefix, authority_uscc: unknownPrefix }).notes).toEqual([
      { code: 'W_USCC_PREFIX', field: 'subject_uscc', value: unknownPrefix },
      { code: 'W_USCC_PREFIX', field: 'authority_uscc', value: unknownPrefix },
    ]);
    expect(normalizeRecord(penalty, { subject_uscc: '14371300328348377X' }).notes).toEqual([]); // bad check char
    for (const ok of ['91371300328348377N', '11230500001755309F', '121200004013590816', '92340603MA2PBMD304']) {
      expect(normalizeRecord(penalty, { subject_uscc: ok, authority_uscc: ok }).notes).toEqual([]);
    }
  });

  it('works for every category without notes on an empty record', () => {
    for (const id of ['licensing', 'penalty', 'enforcement', 'water', 'gas', 'rnd', 'agri'] as const) {
      expect(normalizeRecord(category(id), {})).toEqual({ fields: {}, notes: [], originals: null });
    }
  });
});
