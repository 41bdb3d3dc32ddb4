// Agricultural entities without a USCC (family farms, cooperatives) are stored: subject_uscc may be
// empty. Their records are keyed on 名称 + 所在地 from now on, so the ones already stored get that key.
import type { Knex } from 'knex';
import { naturalKey } from '../pipelines/stages/provenance.ts';
import { category } from '../schemas/registry.ts';
import { deriveMissing } from '../pipelines/stages/derive.ts';

export async function up(knex: Knex): Promise<void> {
  for (const table of ['credit_records', 'credit_record_versions']) {
    await knex.raw(`ALTER TABLE ${table} ALTER COLUMN subject_uscc DROP NOT NULL`);
  }
  const spec = category('agri');
  const rows: { id: string; fields: Record<string, any> }[] = await knex('credit_records').select('id', 'fields').where({ category: 'agri' });
  const taken = new Set((await knex('credit_records').select('natural_key').where({ category: 'agri' })).map((r: { natural_key: string }) => r.natural_key));
  for (const r of rows) {
    // the key reads the division code that loading derives from 所在地; the stored fields stay as they were
    const fields = { ...r.fields };
    deriveMissing(spec, fields, []);
    const key = naturalKey(spec, fields);
    // two old records of one entity (delivered under different codes) keep their old keys rather than merge silently
    if (taken.has(key)) continue;
    taken.add(key);
    await knex('credit_records').where({ id: r.id }).update({ natural_key: key });
  }
}

export async function down(): Promise<void> {
  // Records without a USCC cannot be given one back: this migration is not reversible.
  throw new Error('20261205001000_annex_subjects cannot be reverted');
}
