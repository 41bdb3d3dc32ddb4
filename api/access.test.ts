import { describe, expect, it } from 'vitest';
import { category } from '../schemas/registry.ts';
import { isGatedCategory, publicCategories } from '../schemas/sensitivity.ts';
import { maskValue, pastPublicity, viewFields } from './access.ts';

describe('masking derived from field sensitivity', () => {
  it('masks an 18-digit ID number to its first and last four characters, a short value whole', () => {
    expect(maskValue('37132619861031123X')).toBe('3713**********123X');
    expect(maskValue('身份证')).toBe('***');
  });

  it('masks exactly the non-public fields of a public category when there is no authorisation', () => {
    const spec = category('penalty');
    const fields = { subject_name: '某公司', legal_rep_name: '张三', legal_rep_id_type: '身份证', legal_rep_id_number: '37132619861031123X', penalty_kinds: ['罚款'] };
    const v = viewFields(spec, fields, false);
    expect(v.masked.sort()).toEqual(spec.fields.filter((f) => f.sensitivity === 'authorised' && f.key in fields).map((f) => f.key).sort());
    expect(v.fields).toMatchObject({ subject_name: '某公司', legal_rep_name: '张三', legal_rep_id_type: '***', legal_rep_id_number: '3713**********123X', penalty_kinds: ['罚款'] });
    expect(viewFields(spec, fields, true)).toEqual({ fields, masked: [] });
  });

  it('shows the delivered spelling of a converted value as the field itself is shown', () => {
    const v = viewFields(category('penalty'), { fine_amount: '0.5', _original: { fine_amount: '5000元' } }, false);
    expect(v).toEqual({ fields: { fine_amount: '0.5', _original: { fine_amount: '5000元' } }, masked: [] });
    const w = viewFields(category('water'), { amount_due: '100', _original: { amount_due: '0.01万' } }, false);
    expect(w.fields._original).toEqual({ amount_due: '*****' });
  });

  it('treats a field the schema does not know as not public', () => {
    expect(viewFields(category('licensing'), { old_field: 'abcdefghijkl' }, false)).toEqual({ fields: { old_field: 'abcd****ijkl' }, masked: ['old_field'] });
  });

  it('gates the interface-call categories, whose every field needs authorisation, and no other', () => {
    expect(['water', 'gas', 'rnd', 'agri'].every((c) => isGatedCategory(category(c as 'water')))).toBe(true);
    expect(publicCategories()).toEqual(['licensing', 'penalty', 'enforcement']);
  });

  it('knows a penalty past its 公示截止期 from its publicity-end field', () => {
    expect(pastPublicity('penalty', { publicity_end: '2025-09-22' }, '2026-01-01')).toBe(true);
    expect(pastPublicity('penalty', { publicity_end: '2026-09-22' }, '2026-01-01')).toBe(false);
    expect(pastPublicity('licensing', { valid_to: '2020-01-01' }, '2026-01-01')).toBe(false);
  });
});
