import type { Knex } from 'knex';

// Why an alert was withheld, so the counts can say it: 'unauthorised' (a non-public category with no
// grant in force from the enterprise to the institution) or 'lapsed' (the event's record was collected
// under a platform authorisation none of which is in force: the revocation rule, store/authorisations.ts).
// Rows withheld before this migration had only the first reason.
export async function up(knex: Knex): Promise<void> {
  for (const [table, column] of [['alert_notifications', 'status'], ['webhook_deliveries', 'state']] as const) {
    await knex.schema.alterTable(table, (t) => {
      t.text('withheld_reason');
    });
    await knex(table).where({ [column]: 'withheld' }).update({ withheld_reason: 'unauthorised' });
    await knex.raw(`ALTER TABLE ${table} ADD CONSTRAINT ${table}_withheld_reason
      CHECK ((${column} = 'withheld') = (withheld_reason IS NOT NULL) AND withheld_reason IN ('unauthorised', 'lapsed'))`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['alert_notifications', 'webhook_deliveries']) {
    await knex.schema.alterTable(table, (t) => {
      t.dropColumn('withheld_reason');
    });
  }
}
