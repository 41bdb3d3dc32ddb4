import { describe, expect, it } from 'vitest';
import { categories, category, type CategoryId } from '../schemas/registry.ts';
import type { Fields } from '../pipelines/types.ts';
import { anyCategoryFieldSql, fieldSql, fromPayload, payloadSql, slotOf, toPayload } from './payload.ts';

// The field order of every category when its records were first stored as arrays: a slot's meaning.
// A schema may append fields after these, never move, remove or insert one between them.
const STORED_ORDER: Record<CategoryId, string[]> = {
  licensing: [
    'subject_name', 'subject_uscc', 'subject_type', 'subject_reg_no', 'subject_org_code', 'subject_tax_no',
    'subject_institution_no', 'subject_social_org_no', 'legal_rep_name', 'legal_rep_id_type', 'legal_rep_id_number',
    'decision_doc_name', 'decision_no', 'licence_kind', 'certificate_name', 'licence_no', 'content', 'decision_date',
    'valid_from', 'valid_to', 'status', 'authority_name', 'authority_uscc', 'source_unit', 'source_unit_uscc', 'remarks'],
  penalty: [
    'subject_name', 'subject_uscc', 'subject_type', 'subject_reg_no', 'subject_org_code', 'subject_tax_no',
    'subject_institution_no', 'subject_social_org_no', 'legal_rep_name', 'legal_rep_id_type', 'legal_rep_id_number',
    'decision_doc_name', 'decision_no', 'violation_type', 'violation_facts', 'legal_basis', 'penalty_kinds', 'content',
    'fine_amount', 'confiscated_amount', 'licence_suspended', 'decision_date', 'valid_until', 'publicity_end',
    'authority_name', 'authority_uscc', 'source_unit', 'source_unit_uscc', 'remarks'],
  enforcement: [
    'subject_name', 'subject_uscc', 'legal_rep_name', 'legal_rep_id_type', 'legal_rep_id_number', 'decision_doc_name',
    'decision_no', 'reason', 'legal_basis', 'method', 'executed_at', 'authority_name', 'authority_uscc', 'source_unit',
    'source_unit_uscc', 'remarks'],
  water: [
    'subject_name', 'subject_uscc', 'account_name', 'account_no', 'billing_month', 'usage', 'amount_due', 'amount_paid',
    'paid_date', 'arrears', 'avg_usage_3m', 'avg_usage_6m', 'in_arrears'],
  gas: [
    'subject_name', 'subject_uscc', 'account_name', 'account_no', 'billing_month', 'usage', 'amount_due', 'amount_paid',
    'paid_date', 'arrears', 'avg_usage_3m', 'avg_usage_6m', 'in_arrears'],
  rnd: [
    'subject_name', 'subject_uscc', 'national_high_tech', 'high_tech_cert_no', 'high_tech_valid_to', 'support_info',
    'support_type', 'support_item', 'support_level', 'support_amount', 'support_date', 'granting_body'],
  agri: [
    'subject_name', 'subject_uscc', 'entity_type', 'principal', 'location', 'division_code', 'business_scope', 'right_type',
    'right_cert_no', 'area_mu', 'right_term_from', 'right_term_to', 'right_mortgaged', 'land_right_info',
    'housing_right_info'],
};

describe('the stored field order', () => {
  for (const spec of categories()) {
    it(`${spec.id}: the schema's fields begin with the order records were stored in`, () => {
      expect(spec.fields.map((f) => f.key).slice(0, STORED_ORDER[spec.id].length)).toEqual(STORED_ORDER[spec.id]);
    });
  }
});

describe('a record payload', () => {
  const fields: Fields = {
    subject_name: '临沂市某某商贸有限公司', subject_uscc: '91371302MA3C1234X5', penalty_kinds: ['罚款', '警告'], fine_amount: '2.5',
    licence_suspended: false, decision_date: '2026-03-01', _original: { fine_amount: '25000元' },
  };

  it('keeps each value in its slot, _original first, and leaves out the empty slots at the end', () => {
    const p = toPayload('penalty', fields);
    expect(p[0]).toEqual({ fine_amount: '25000元' });
    expect(p[slotOf('penalty', 'subject_uscc')]).toBe('91371302MA3C1234X5');
    expect(p[slotOf('penalty', 'licence_suspended')]).toBe(false);
    expect(p[slotOf('penalty', 'subject_type')]).toBeNull();
    expect(p).toHaveLength(slotOf('penalty', 'decision_date') + 1);
  });

  it('refuses a key the category lacks rather than drop it', () => {
    expect(() => toPayload('penalty', { ...fields, fine_wan: '1.5' })).toThrow(/penalty has no field fine_wan/);
  });

  it('reads back the same fields, through JSON as the store returns them', () => {
    expect(fromPayload('penalty', JSON.parse(JSON.stringify(toPayload('penalty', fields))))).toEqual(fields);
    expect(fromPayload('water', toPayload('water', {}))).toEqual({});
  });

  it('reads a payload stored before a field was appended, and ignores slots it does not know', () => {
    const stored = toPayload('rnd', { subject_name: 'X' });
    expect(fromPayload('rnd', [...stored, ...Array(category('rnd').fields.length), 'later'])).toEqual({ subject_name: 'X' });
  });

  it('names a field in SQL by its slot, NULL for an empty slot, and refuses a field the category lacks', () => {
    expect(fieldSql('penalty', 'publicity_end', 'r.')).toBe(`r.fields->>${slotOf('penalty', 'publicity_end')}`);
    expect(fieldSql('water', '_original', '', 'json')).toBe(`NULLIF(fields->0, 'null'::jsonb)`);
    expect(() => fieldSql('water', 'publicity_end')).toThrow(/water has no field publicity_end/);
    expect(anyCategoryFieldSql(['water', 'penalty', 'licensing'], 'authority_name'))
      .toBe(`CASE category WHEN 'penalty' THEN fields->>${slotOf('penalty', 'authority_name')} WHEN 'licensing' THEN fields->>${slotOf('licensing', 'authority_name')} END`);
    expect(anyCategoryFieldSql(['water'], 'authority_name')).toBe('NULL::text');
  });
});

describe('a payload built in SQL', () => {
  it('puts each expression in its slot', () => {
    expect(payloadSql('water', { account_no: `'A1'`, subject_name: 'x.name' }))
      .toBe(`jsonb_build_array(NULL, x.name, NULL, NULL, 'A1')`);
    expect(slotOf('water', 'account_no')).toBe(4);
  });
});
