import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataContractMarkdown } from './contract.ts';
import { categories, category, codeLists, findCategory, findProviderUnit, foldLabel, keyPartFields, resolveComposite, resolveHeader, type CategoryId } from './registry.ts';

// Every field the annex (临政办发〔2023〕9号, 信用信息共享清单责任分工) lists, as it writes them.
const ANNEX: Record<CategoryId, string[]> = {
  licensing: ['企业名称', '统一社会信用代码', '行政相对人类别', '法定代表人姓名', '法定代表人证件类型', '法定代表人证件号码', '行政许可决定文书名称',
    '行政许可决定文书号', '行政许可类别', '行政许可证书名称', '行政许可编号', '行政许可内容', '行政许可决定日期', '行政许可有效期', '行政许可状态',
    '行政机关名称', '行政机关统一社会信用代码', '数据提供单位'],
  penalty: ['企业名称', '统一社会信用代码', '行政相对人类别', '法定代表人姓名', '法定代表人证件类型', '法定代表人证件号码', '行政处罚决定文书名称',
    '行政处罚决定文书号', '违法行为类型', '违法事实', '行政处罚依据', '行政处罚内容', '罚款金额', '没收违法所得和没收财物的金额',
    '暂扣或吊销证照名称及编号', '行政处罚决定日期', '行政处罚有效期', '公示截止期', '行政机关名称', '行政机关统一社会信用代码', '数据提供单位'],
  enforcement: ['企业名称', '统一社会信用代码', '法定代表人姓名', '法定代表人证件类型', '法定代表人证件号码', '行政强制决定文书名称', '行政强制文书号',
    '行政强制执行理由', '行政强制执行依据', '行政强制执行方式', '执行时间', '行政机关名称', '行政机关统一社会信用代码', '数据提供单位'],
  water: ['企业名称', '统一社会信用代码', '水用户信息(户名户号)', '缴纳水费明细', '近3个月月均用水量', '近6个月月均用水量', '当前是否欠费'],
  gas: ['企业名称', '统一社会信用代码', '燃气用户信息(户名户号)', '缴纳燃气费明细', '近3个月月均燃气用量', '近6个月月均燃气用量', '当前是否欠费'],
  rnd: ['企业名称', '统一社会信用代码', '是否属于国家级高新技术企业', '获得科研支持信息'],
  agri: ['新型农业经营主体名称', '类别', '负责人', '所在地', '经营内容', '农村土地经营权信息', '农民住房财产权信息'],
};

describe('the annex contract', () => {
  for (const [id, names] of Object.entries(ANNEX) as [CategoryId, string[]][]) {
    it(`${id}: every annex field is in the schema, by its Chinese label or as the annex field a column realises`, () => {
      const spec = category(id);
      for (const name of names) {
        const carriers = spec.fields.filter((f) => f.labelZh === name || f.annex.includes(name));
        expect(carriers.map((f) => f.key), name).not.toEqual([]);
      }
    });
  }

  it('the annex text itself lists these fields (when the seed is beside the repo)', () => {
    let seed: string;
    try {
      seed = readFileSync(new URL('../../shared/seed/000_f973c53bf201802b.txt', import.meta.url), 'utf8');
    } catch {
      return; // the seed lives outside the repository; CI has it, a bare clone may not
    }
    for (const name of Object.values(ANNEX).flat()) expect(seed.replace(/\s/g, ''), name).toContain(name.replace(/\(.*\)$/, ''));
  });
});

describe('schema registry', () => {
  it('names categories by id or Chinese name', () => {
    expect(findCategory('行政处罚')?.id).toBe('penalty');
    expect(findCategory('新型农村经营主体')?.id).toBe('agri');
    expect(findCategory('燃气费')?.id).toBe('gas');
    expect(findCategory('tax')).toBeUndefined();
    expect(categories().map((c) => c.id)).toEqual(['licensing', 'penalty', 'enforcement', 'water', 'gas', 'rnd', 'agri']);
  });

  it('resolves headers by label, alias, English key, full-width forms and spaces', () => {
    const p = category('penalty');
    expect(resolveHeader(p, '行政相对人名称')?.key).toBe('subject_name');
    expect(resolveHeader(p, ' 行政相对人代码＿1 ')?.key).toBe('subject_uscc');
    expect(resolveHeader(p, '罚款金额（万元）')?.key).toBe('fine_amount');
    expect(resolveHeader(p, 'decision_no')?.key).toBe('decision_no');
    expect(resolveHeader(p, '内部编号')).toBeUndefined();
  });

  it('gives every field a Chinese label, English label, kind and sensitivity; labels and aliases are unambiguous', () => {
    for (const c of categories()) {
      const seen = new Map<string, string>();
      for (const f of c.fields) {
        expect(f.labelZh && f.labelEn && f.kind && f.sensitivity, `${c.id}.${f.key}`).toBeTruthy();
        for (const n of [f.key, f.labelZh, ...f.aliases]) {
          const prev = seen.get(foldLabel(n));
          expect(prev === undefined || prev === f.key, `${c.id}: "${n}" names both ${prev} and ${f.key}`).toBe(true);
          seen.set(foldLabel(n), f.key);
        }
      }
      for (const k of c.naturalKey.flatMap(keyPartFields)) expect(c.field.has(k), `${c.id} natural key ${k}`).toBe(true);
    }
  });

  it('gates the legal representative ID fields and every field of water, gas, rnd and agri behind authorisation', () => {
    for (const c of categories()) {
      for (const f of c.fields) {
        const gated = ['water', 'gas', 'rnd', 'agri'].includes(c.id) || f.key === 'legal_rep_id_type' || f.key === 'legal_rep_id_number';
        expect(f.sensitivity, `${c.id}.${f.key}`).toBe(gated ? 'authorised' : 'public');
      }
    }
  });

  it('maps pre-2021 penalty kinds and resolves provider-unit aliases', () => {
    expect(codeLists.get('penalty_kind')!.lookup.get(foldLabel('暂扣或者吊销许可证、暂扣或者吊销执照'))).toEqual(['暂扣许可证件', '吊销许可证件']);
    expect(findProviderUnit('市发展改革委')?.name).toBe('临沂市发展和改革委员会');
    expect(findProviderUnit('市住房城乡建设局')?.id).toBe('housing');
    expect(findProviderUnit('市科技局')?.categories).toEqual(['rnd']);
  });
});

it('docs/data-contract.md is what the schemas generate (run `npm run contract` after changing a schema)', () => {
  const committed = readFileSync(new URL('../docs/data-contract.md', import.meta.url), 'utf8');
  expect(committed).toBe(dataContractMarkdown());

});

describe('the annex is the floor of the contract', () => {
  it.each(categories().map((c) => [c.id, c] as const))('%s: every annex field is read, and every required field is one the annex lists', (_id, c) => {
    const covered = new Set<string>();
    for (const name of c.annexFields) {
      const f = resolveHeader(c, name);
      const k = resolveComposite(c, name);
      expect(f ?? k, `annex field ${name}`).toBeDefined();
      if (f) covered.add(f.key);
      for (const key of k?.into ?? []) covered.add(key);
    }
    // a batch is never refused for lacking a column the annex does not list
    expect(c.fields.filter((f) => f.required && !covered.has(f.key)).map((f) => f.key)).toEqual([]);
  });
});
