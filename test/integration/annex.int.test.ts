// The annex (临政办发〔2023〕9号) is the floor of the contract: a file whose header is exactly the
// annex's field list loads, every row accepted, in UTF-8 and in GBK. The files in fixtures/csv/annex/
// (fixtures/annex/) are written by hand, the way a provider unit would fill in the annex table, not by our generator.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { category, type CategoryId } from '../../schemas/registry.ts';
import { fileURLToPath } from 'node:url';
import { ingest } from '../helpers/ingest.ts';
import { createTestDb, type TestDb } from '../helpers/pg.ts';
import { allReadable, readable } from '../helpers/records.ts';

// beside fixtures/csv/, which the generator owns (it removes what it did not write)
const annexFile = (name: string) => fileURLToPath(new URL(`../../fixtures/annex/${name}`, import.meta.url));

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb('annex');
});
afterAll(async () => {
  await t?.drop();
});

const DELIVERER: Record<CategoryId, string> = {
  licensing: '市发展改革委', penalty: '市发展改革委', enforcement: '市发展改革委',
  water: 'water-utility', gas: 'gas-utility', rnd: '市科技局', agri: '市农业农村局',
};

const records = async (id: CategoryId) => allReadable(await t.db.knex('credit_records').where({ category: id }).orderBy('source_line'));
const dataLines = (file: string) => (parse(readFileSync(file), { bom: true }) as string[][]).length - 1;

describe.each(Object.keys(DELIVERER) as CategoryId[])('an annex-exact %s file', (id) => {
  it('has exactly the annex\'s field list as its header', () => {
    const header = readFileSync(annexFile(`${id}.csv`), 'utf8').split(/\r?\n/)[0].split(',');
    expect(new Set(header)).toEqual(new Set(category(id).annexFields));
  });

  for (const [encoding, file] of [['utf-8', `${id}.csv`], ['gbk', `${id}.gbk.csv`]] as const) {
    it(`loads every row, in ${encoding}, with no column left unread`, async () => {
      const r = await ingest(t.db, annexFile(file), id, DELIVERER[id]);
      expect(r.refusal).toBeNull();
      expect(r.issues).toEqual([]);
      expect(r.warnings.filter((w) => w.line === 1)).toEqual([]);
      expect(r).toMatchObject({ status: 'loaded', rejected: 0, accepted: dataLines(annexFile(`${id}.csv`)) });
      expect(r.encoding).toBe(encoding === 'gbk' ? 'gb18030' : 'utf-8');
      // the GBK file is the same facts: its load changes nothing the UTF-8 one stored
      if (encoding === 'gbk') expect(r).toMatchObject({ inserted: 0, updated: 0 });
    });
  }
});

describe('what the annex-exact files store', () => {
  it('licensing: 行政许可有效期 as a single date, a range in either spelling, or 长期', async () => {
    const byNo = new Map((await records('licensing')).map((r) => [r.fields.decision_no, r.fields]));
    expect(byNo.get('临兰审批食许〔2024〕0015号')).toMatchObject({ valid_from: '2024-03-15', valid_to: '2029-03-14' });
    expect(byNo.get('临环许〔2024〕第021号')).toMatchObject({ valid_from: '2024-04-02', valid_to: '2029-04-01' });
    expect(byNo.get('临交运许〔2023〕88号')).toMatchObject({ valid_to: '2099-12-31' });
    expect(byNo.get('临交运许〔2023〕88号')!.valid_from).toBeUndefined();
    expect(byNo.get('临兰审批酒许〔2024〕0102号')).toMatchObject({ valid_to: '2027-05-05' });
    expect(byNo.get('临交运许〔2024〕12号')).toMatchObject({ valid_from: '2024-01-08', valid_to: '2028-01-07' });
  });

  it('penalty: 处罚类别 derived from 行政处罚内容 and 罚款金额 where safe, amounts in 元 converted with the original kept', async () => {
    const byNo = new Map((await records('penalty')).map((r) => [r.fields.decision_no, r.fields]));
    expect(byNo.get('临环罚字〔2024〕第0123号')!.penalty_kinds).toEqual(['罚款']);
    expect(byNo.get('临兰市监罚〔2024〕45号')!.penalty_kinds).toEqual(['警告']);
    expect(byNo.get('临交罚〔2024〕301号')).toMatchObject({ penalty_kinds: ['罚款', '没收违法所得'], fine_amount: '0.5', _original: { fine_amount: '5000元' } });
    // 责令改正 names no kind of the code list: left empty, the row still loads
    expect(byNo.get('临兰市监罚〔2024〕77号')!.penalty_kinds).toBeUndefined();
  });

  it('water and gas: 户名户号 in one cell, the bill in one cell, and the provider\'s own figures on rows of their own', async () => {
    const water = await records('water');
    expect(water.map((r) => [r.fields.account_no, r.fields.billing_month ?? null, r.fields.usage ?? null])).toEqual([
      ['LS1007919', '2024-04', '120'], ['LS1007919', '2024-05', '130'], ['LS1007919', '2024-06', '140'], ['LS1007919', null, null],
      ['LS2004411', '2024-06', '1250.5'], ['LS2004411', null, null],
    ]);
    expect(water[0].fields).toMatchObject({ account_name: '临沂市兰山区示例商贸有限公司', amount_due: '480', amount_paid: '480', paid_date: '2024-05-10' });
    expect(water[3].fields).toMatchObject({ avg_usage_3m: '130', avg_usage_6m: '125.5', in_arrears: false });
    expect(water[4].fields).toMatchObject({ amount_due: '5002', amount_paid: '4000' });
    const gas = await records('gas');
    expect(gas.find((r) => r.fields.account_no === 'RQ2022004567' && r.fields.billing_month)!.fields)
      .toMatchObject({ billing_month: '2024-06', usage: '210', amount_due: '756', amount_paid: '0', arrears: '756' });
  });

  it('rnd: 获得科研支持信息 kept as written, classified when it names one support type', async () => {
    const rows = (await records('rnd')).map((r) => [r.fields.support_info ?? null, r.fields.support_type ?? null]);
    expect(rows).toEqual([
      ['2023年获批山东省企业重点实验室', '实验室建设'],
      ['2024年获临沂市科技项目资金50万元', '政府资金支持'],
      ['参与《预包装食品冷链配送规范》团体标准制定', '参与标准制定'],
      ['实验室建设、政府资金支持', null],
      ['技术负责人入选沂蒙英才计划', null],
      [null, null],
    ]);
  });

  it('agri: entities without a USCC, keyed on 名称 + 所在地 (division code where found), rights information kept', async () => {
    const rows = await records('agri');
    expect(rows).toHaveLength(5);
    for (const r of rows) expect(r.subject_uscc).toBeNull();
    expect(rows.map((r) => r.natural_key)).toEqual([
      '沂南县界湖街道绿源家庭农场|371321||', '临沂市兰陵县金穗粮食种植专业合作社|371324||', '费县山林果品专业合作社|371325||',
      '临沂沂蒙山农业发展有限公司|371311||', '平邑县郑城镇丰收农机服务队|371326||',
    ]);
    expect(rows[0].fields.land_right_info).toBe('鲁（2023）沂南县农村土地经营权第0001234号，120.5亩，至2035-12-31，未抵押');
    expect(rows[1].fields).toMatchObject({ entity_type: '农民合作社', housing_right_info: '鲁（2021）兰陵县不动产权第0007788号，宅基地0.3亩，已抵押' });
    expect(rows[1].fields.land_right_info).toContain('面积：860亩');
  });

  it('agri: the rights as structured columns (证书号, 面积, 期限, 是否抵押), the right read from the certificate number', async () => {
    const path = `${process.env.TMPDIR ?? '/tmp'}/${t.name}-agri-rights.csv`;
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(path, '新型农业经营主体名称,类别,负责人,所在地,经营内容,证书号,面积,期限,是否抵押\n'
      + '临沂市兰陵县金穗粮食种植专业合作社,农民专业合作社,王建国,兰陵县向城镇,小麦、玉米种植,鲁（2022）兰陵县农村土地经营权第0000456号,860亩,2022-10-01至2032-09-30,是\n');
    try {
      const r = await ingest(t.db, path, 'agri', '市农业农村局');
      expect(r).toMatchObject({ status: 'loaded', accepted: 1, rejected: 0 });
      const rec = readable(await t.db.knex('credit_records').where({ category: 'agri', batch_id: r.batchId }).first());
      expect(rec.fields).toMatchObject({ right_type: '农村土地经营权', right_cert_no: '鲁（2022）兰陵县农村土地经营权第0000456号', area_mu: '860',
        right_term_from: '2022-10-01', right_term_to: '2032-09-30', right_mortgaged: true, division_code: '371324' });
    } finally {
      rmSync(path, { force: true });
    }
  });

  it('agri: an entity with a USCC is linked to that enterprise, and the same farm delivered again with it is the same record', async () => {
    const file = `${t.name}-agri.csv`;
    const path = `${process.env.TMPDIR ?? '/tmp'}/${file}`;
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(path, '新型农业经营主体名称,统一社会信用代码,类别,负责人,所在地,经营内容\n沂南县界湖街道绿源家庭农场,93371321MA3P7Q2L98,家庭农场,李秀英,沂南县界湖街道北村,蔬菜种植、销售\n');
    try {
      const r = await ingest(t.db, path, 'agri', '市农业农村局');
      expect(r).toMatchObject({ status: 'loaded', accepted: 1, inserted: 0, updated: 1 });
      const linked = await t.db.knex('credit_records').where({ category: 'agri', subject_uscc: '93371321MA3P7Q2L98' });
      expect(linked.map((x) => x.natural_key)).toEqual(['沂南县界湖街道绿源家庭农场|371321||']);
    } finally {
      rmSync(path, { force: true });
    }
  });
});
