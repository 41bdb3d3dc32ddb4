// The report content is a pure function of its inputs: the same inputs give the same hash, any
// change of a shown value changes it; penalties past 公示截止期 are left out; gated categories are
// withheld without a grant, and authorised fields masked.
import { describe, expect, it } from 'vitest';
import { isGatedCategory } from '../schemas/sensitivity.ts';
import { pastPublicity, viewFields } from '../api/access.ts';
import { licence, penalty, USCC, waterMonth } from '../testkit/evaluation-records.ts';
import { shippedCard } from './card.ts';
import { buildReport, reportHash, type ReportInput, type ReportRecord } from './report.ts';

const prov = { sourceUnit: '临沂市行政审批服务局', deliveredBy: '临沂市发展和改革委员会', sourceLine: 2, receivedAt: '2026-06-01T01:00:00.000Z', loadedAt: '2026-06-01T01:00:05.000Z' };
const withProv = (r: ReturnType<typeof licence>): ReportRecord => ({ ...r, ...prov });

const input = (over: Partial<ReportInput> = {}): ReportInput => ({
  reportNo: 'XYBG-20260630-0123456789', generatedAt: '2026-06-30T02:00:00.000Z', asOf: '2026-06-30', dataCutoff: '2026-06-30T02:00:00.000Z', uscc: USCC,
  reader: { role: 'analyst', unit: '临沂某商业银行', institution: '临沂某商业银行' }, grants: {}, categoryCutoffs: { licensing: '2026-06-01T01:00:05.000Z' },
  records: [
    withProv(licence('2020-01-01', { subject_name: '平邑县嘉禾食品有限公司', legal_rep_name: '周金龙', legal_rep_id_number: '371326198610310577' })),
    withProv(licence('2021-01-01')), withProv(penalty('2025-09-01', '2026-09-01', { fine_amount: '2' })), withProv(penalty('2022-01-01', '2023-01-01')),
    withProv(waterMonth('2026-05', '10.00', '10.00')),
  ],
  card: shippedCard('basic-v1'), rules: { isGatedCategory, pastPublicity, viewFields }, ...over,
});

describe('report content', () => {
  it('the same inputs give the same content hash; another reader or cut-off gives another', () => {
    const base = input();
    expect(reportHash(buildReport(base))).toBe(reportHash(buildReport({ ...base, records: [...base.records].reverse() })));
    expect(reportHash(buildReport({ ...base, dataCutoff: '2026-06-30T02:00:00.001Z' }))).not.toBe(reportHash(buildReport(base)));
    expect(reportHash(buildReport({ ...base, reader: { ...base.reader, institution: '另一银行' } }))).not.toBe(reportHash(buildReport(base)));
  });

  it('leaves out the penalty past its 公示截止期, withholds water without a grant and masks the ID number', () => {
    const c = buildReport(input());
    const subs = Object.fromEntries(c.sections.flatMap((s) => s.subsections ?? []).map((s) => [s.id, s]));
    expect(subs.penalty.table!.rows).toHaveLength(1);
    expect(subs.water.status).toBe('withheld');
    expect(subs.licensing.masked).toEqual(['legal_rep_id_number']);
    expect(JSON.stringify(c)).not.toContain('371326198610310577');
    expect(c.evaluations.enriched).toBeNull();
    expect(c.footnotes).toHaveLength(1);
    expect(subs.licensing.cutoff).toBe('2026-06-01 09:00:05（北京时间）');
  });

  it('under grants for every gated category: water shown per account, the ID number in clear, and the enriched evaluation', () => {
    const g = { id: 'g1', expiresAt: '2027-01-01T00:00:00.000Z' };
    const c = buildReport(input({ grants: { licensing: g, penalty: g, enforcement: g, water: g, gas: g, rnd: g, agri: g } }));
    const subs = Object.fromEntries(c.sections.flatMap((s) => s.subsections ?? []).map((s) => [s.id, s]));
    expect(subs.water.table!.rows[0].cells.slice(0, 5)).toEqual(['W1', '—', '2026-05 至 2026-05', '1', '0']);
    expect(JSON.stringify(c)).toContain('371326198610310577');
    expect(c.evaluations.enriched?.tier).toBe('enriched');
  });
});
