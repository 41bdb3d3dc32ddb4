import type { Knex } from 'knex';

// Post-loan risk alerts (measure item 9). Institutions are the registry's (store/institutions.ts), by id. credit_events is the outbox: its rows are written in the
// batch's own transaction, so a crash can neither lose nor invent one. A relay fans each event out
// to the institutions watching the enterprise (alert_notifications, the pull feed) and to their
// webhook endpoints (webhook_deliveries, every attempt in webhook_attempts).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('batches', (t) => {
    // records of the deliverer that a full delivery no longer contains
    t.integer('withdrawn').notNullable().defaultTo(0);
  });
  await knex.schema.createTable('credit_events', (t) => {
    t.bigIncrements('seq');
    t.uuid('id').notNullable().unique();
    t.text('type').notNullable();
    t.text('subject_uscc'); // agri entities may have none: such an event is kept but reaches no watch
    t.text('category').notNullable();
    t.bigInteger('record_id').notNullable();
    t.integer('record_version').notNullable();
    t.uuid('batch_id'); // null for clock-driven events
    t.text('source_unit');
    t.integer('source_line');
    t.date('occurred_on');
    t.timestamp('detected_at', { useTz: true }).notNullable();
    t.text('severity').notNullable();
    t.boolean('backfill').notNullable().defaultTo(false);
    t.boolean('held').notNullable().defaultTo(false);
    t.jsonb('detail').notNullable().defaultTo('{}');
    // clock-driven events fire once per key (licence.expiring of one record and expiry date)
    t.text('once_key').unique();
    t.timestamp('relayed_at', { useTz: true });
    t.index(['subject_uscc']);
    t.index(['batch_id']);
  });
  await knex.raw(`CREATE INDEX credit_events_unrelayed ON credit_events (seq) WHERE relayed_at IS NULL AND NOT held`);
  await knex.raw(`ALTER TABLE credit_events ADD CONSTRAINT credit_events_severity CHECK (severity IN ('high', 'medium', 'low'))`);
  // A full delivery that would withdraw too large a share of its deliverer's records: its events wait here for an operator.
  await knex.schema.createTable('alert_holds', (t) => {
    t.uuid('batch_id').primary();
    t.text('category').notNullable();
    t.text('delivered_by').notNullable();
    t.integer('withdrawn').notNullable();
    t.integer('records_before').notNullable();
    t.integer('events').notNullable();
    t.timestamp('held_at', { useTz: true }).notNullable();
    t.timestamp('decided_at', { useTz: true });
    t.text('decision'); // released | discarded
    t.text('decided_by');
  });

  await knex.schema.createTable('watches', (t) => {
    t.uuid('id').primary();
    t.uuid('institution_id').notNullable().references('id').inTable('institutions');
    t.text('subject_uscc').notNullable();
    t.specificType('event_types', 'text[]').notNullable(); // empty: every type
    t.text('loan_ref').notNullable().defaultTo(''); // '' when none, so it can sit in the unique key
    t.date('active_from');
    t.date('active_until');
    t.text('status').notNullable().defaultTo('active');
    t.text('created_by').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['institution_id', 'subject_uscc', 'loan_ref']);
    t.index(['subject_uscc']);
  });
  await knex.raw(`ALTER TABLE watches ADD CONSTRAINT watches_status CHECK (status IN ('active', 'paused'))`);
  await knex.raw(`ALTER TABLE watches ADD CONSTRAINT watches_period CHECK (active_until IS NULL OR active_from IS NULL OR active_until >= active_from)`);

  await knex.schema.createTable('webhook_endpoints', (t) => {
    t.uuid('id').primary();
    t.uuid('institution_id').notNullable().references('id').inTable('institutions');
    t.text('url').notNullable();
    // whsec_… secrets, newest first; all of them sign, so a receiver can rotate without downtime
    t.specificType('secrets', 'text[]').notNullable();
    t.specificType('event_types', 'text[]').notNullable();
    t.integer('max_in_flight').notNullable().defaultTo(4);
    // an operator's explicit leave to call an internal address (a bank's gateway on the government network)
    t.boolean('allow_internal').notNullable().defaultTo(false);
    t.text('status').notNullable().defaultTo('enabled');
    t.text('disabled_reason');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['institution_id']);
  });
  await knex.raw(`ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_status CHECK (status IN ('enabled', 'disabled'))`);

  // One row per event and institution: the pull feed (seq is its cursor, assigned by the single relay).
  await knex.schema.createTable('alert_notifications', (t) => {
    t.bigIncrements('seq');
    t.uuid('event_id').notNullable();
    t.uuid('institution_id').notNullable().references('id').inTable('institutions');
    t.specificType('watch_ids', 'uuid[]').notNullable();
    t.text('status').notNullable(); // notified | withheld
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['event_id', 'institution_id']);
    t.index(['institution_id', 'seq']);
  });

  await knex.schema.createTable('webhook_deliveries', (t) => {
    t.bigIncrements('id');
    t.uuid('event_id').notNullable();
    t.uuid('endpoint_id').notNullable();
    t.text('state').notNullable(); // pending | succeeded | failed | withheld | cancelled
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('finished_at', { useTz: true });
    t.text('last_error');
    t.unique(['event_id', 'endpoint_id']);
    t.index(['endpoint_id', 'state']);
  });
  await knex.raw(`CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'`);
  await knex.schema.createTable('webhook_attempts', (t) => {
    t.bigIncrements('id');
    t.bigInteger('delivery_id').notNullable();
    t.integer('attempt').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.integer('duration_ms').notNullable();
    t.integer('http_status');
    t.text('error');
    t.timestamp('next_attempt_at', { useTz: true });
    t.unique(['delivery_id', 'attempt']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const t of ['webhook_attempts', 'webhook_deliveries', 'alert_notifications', 'webhook_endpoints', 'watches', 'alert_holds', 'credit_events']) {
    await knex.schema.dropTable(t);
  }
  await knex.schema.alterTable('batches', (t) => {
    t.dropColumn('withdrawn');
  });
}
