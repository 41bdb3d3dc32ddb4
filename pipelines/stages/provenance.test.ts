import { describe, expect, it } from 'vitest';
import { category, findProviderUnit } from '../../schemas/registry.ts';
import { contentHash, naturalKey, resolveSourceUnit, stampRecord } from './provenance.ts';

const penalty = category('penalty');
const f = { subject_uscc: '91371300328348377N', decision_no: '临环罚字〔2024〕1号', authority_uscc: '11230500001755309F', subject_name: '某公司', decision_date: '2024-05-20', penalty_kinds: ['罚款'] };

describe('provenance', () => {
  it('keys a record by its natural key, escaping the separator', () => {
    expect(naturalKey(penalty, f)).toBe('11230500001755309F|临环罚字〔2024〕1号|91371300328348377N');
    expect(naturalKey(penalty, { ...f, decision_no: 'a|b' })).toBe('11230500001755309F|a\\|b|91371300328348377N');
  });

  it('hashes content independently of key order, and differently when a value changes', () => {
    const reordered = Object.fromEntries(Object.entries(f).reverse());
    expect(contentHash(penalty, reordered)).toBe(contentHash(penalty, f));
    expect(contentHash(penalty, { ...f, decision_date: '2024-05-21' })).not.toBe(contentHash(penalty, f));
    expect(contentHash(penalty, { ...f, penalty_kinds: ['罚款', '警告'] })).not.toBe(contentHash(penalty, f));
  });

  it('lets the platform deliver for any department, a department only for itself', () => {
    const ndrc = findProviderUnit('市发展改革委')!;
    const ecology = findProviderUnit('市生态环境局')!;
    expect(resolveSourceUnit(penalty, { ...f, source_unit: '兰山区市场监督管理局' }, ndrc, 3, undefined)).toEqual({ ok: true, unit: '兰山区市场监督管理局' });
    expect(resolveSourceUnit(penalty, { ...f, source_unit: '市生态环境局' }, ecology, 3, undefined)).toEqual({ ok: true, unit: '临沂市生态环境局' });
    expect(resolveSourceUnit(penalty, f, ecology, 3, undefined)).toEqual({ ok: true, unit: '临沂市生态环境局' });
    const denied = resolveSourceUnit(penalty, { ...f, source_unit: '临沂市市场监督管理局' }, ecology, 3, '数据来源单位');
    expect(denied.ok).toBe(false);
    if (!denied.ok) expect(denied.issue).toMatchObject({ code: 'E_SOURCE_UNIT_NOT_PERMITTED', line: 3, column: '数据来源单位', value: '临沂市市场监督管理局' });
    const water = category('water');
    expect(resolveSourceUnit(water, {}, findProviderUnit('water-utility')!, 2, undefined)).toEqual({ ok: true, unit: '临沂市城市供水单位（示例）' });
  });

  it('stamps batch, line, deliverer, schema version and event date', () => {
    const r = stampRecord(category('water'), { subject_uscc: 'U', subject_name: 'N', billing_month: '2024-06' }, 'src', 9,
      { batchId: 'b1', deliverer: findProviderUnit('water-utility')!, receivedAt: '2026-01-01T00:00:00.000Z' }, { hi: 7, lo: -3 });
    expect(r).toMatchObject({ category: 'water', eventDate: '2024-06-01', subjectUscc: 'U', sourceHash: { hi: 7, lo: -3 }, provenance: { sourceUnit: 'src', batchId: 'b1', sourceLine: 9, schemaVersion: category('water').version, deliveredBy: '临沂市城市供水单位（示例）' } });
  });
});
