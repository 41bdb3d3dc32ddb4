// The nightly hook over real PostgreSQL: after a run, the enterprises its batches touched and those
// whose penalty publicity ended yesterday are re-evaluated and stored; a penalty whose 公示截止期
// was yesterday contributes nothing today. And `credit-etl evaluate` / `card validate` / `report`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { shippedCard } from '../evaluation/card.ts';
import { runCli } from '../test/helpers/cli.ts';
import { fixture, ingest } from '../test/helpers/ingest.ts';
import { createTestDb, type TestDb } from '../test/helpers/pg.ts';
import { evaluationJson } from '../evaluation/engine.ts';
import { rebuildEvaluation } from '../evaluation/read.ts';
import { evaluatePages } from '../evaluation/bulk.ts';
import { evaluateAfterRun } from './evaluate.ts';
import { openRun, recordBatch } from '../store/ledger.ts';
import { slotOf } from '../store/payload.ts';

const card = shippedCard('basic-v1');
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const ENDED = '91371326765330802K';

let t: TestDb;
let dir: string;
let licensingBatch: string;
beforeAll(async () => {
  t = await createTestDb('evaluate_job');
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-evaljob-'));
  licensingBatch = (await ingest(t.db, fixture('licensing.csv'), 'licensing', '市发展改革委')).batchId;
  // A penalty decided a year ago whose publicity ended yesterday, for the demo enterprise.
  const pen = readFileSync(fixture('penalty.csv'), 'utf8').split(/\r?\n/);
  const row = pen.find((l) => l.includes(ENDED) && l.includes('2025-09-22'))!.replace('2025-09-22', day(-1));
  writeFileSync(path.join(dir, 'pen.csv'), `${pen[0]}\r\n${row}\r\n`);
  expect((await ingest(t.db, path.join(dir, 'pen.csv'), 'penalty', '市发展改革委')).inserted).toBe(1);
});
afterAll(async () => {
  await t?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('re-evaluates and stores the enterprises a run touched and those whose publicity ended yesterday', async () => {
  await openRun(t.db, { id: 'run-1', trigger: 'manual', sourceIds: ['src'] });
  await t.db.knex.transaction((trx) => recordBatch(trx, { runId: 'run-1', sourceId: 'src', batchId: licensingBatch, rowsYielded: 1, cursor: undefined }));
  // No run has evaluated yet: every loaded batch counts as new (here the licensing batch and the penalty upload).
  const touched = (await t.db.knex('credit_records').distinct('subject_uscc')).map((r) => r.subject_uscc);
  const n = await evaluateAfterRun(t.db, 'run-1', { card, now: new Date() });
  expect(n).toBe(new Set([...touched, ENDED]).size);
  const stored = await t.db.knex('credit_evaluations').where({ trigger: 'run:run-1' }).select('uscc', 'tier', 'as_of', 'body');
  expect(new Set(stored.map((s) => s.uscc))).toEqual(new Set([...touched, ENDED]));
  expect(stored.every((s) => s.tier === 'public')).toBe(true); // no platform authorisation: no enriched tier
  const demo = JSON.parse(stored.find((s) => s.uscc === ENDED)!.body);
  expect(demo.asOf).toBe(day(0));
  // the penalty is in the store but past its 公示截止期: it contributes nothing today
  expect(demo.coverage.withoutData).toContain('penalty');
  expect(demo.contributions.map((c: any) => c.indicator)).not.toContain('PEN_IN_PUBLICITY');

  // The next run, with no batch of its own and nothing loaded since: only the publicity case again.
  await openRun(t.db, { id: 'run-2', trigger: 'manual', sourceIds: ['src'] });
  expect(await evaluateAfterRun(t.db, 'run-2', { card, now: new Date() })).toBe(1);
});

it('an evaluation stored while a batch is still loading is rebuilt equal once the batch has committed', async () => {
  // A batch stamps its records with its transaction's start time: this one starts, then the evaluation reads.
  const trx = await t.db.knex.transaction();
  await trx.raw(`INSERT INTO credit_records (category, natural_key, subject_uscc, subject_name, event_date, fields, content_hash, version,
      source_unit, delivered_by, batch_id, source_line, received_at, loaded_at, schema_version)
    SELECT category, natural_key || '|late', subject_uscc, subject_name, event_date, jsonb_set(fields, '{${slotOf('penalty', 'publicity_end')}}', '"2099-01-01"'), content_hash || 'late', 1,
      source_unit, delivered_by, batch_id, source_line, received_at, now(), schema_version
    FROM credit_records WHERE category = 'penalty' AND subject_uscc = ?`, [ENDED]);
  const stored = [];
  for await (const e of evaluatePages(t.db, [[ENDED]], { card, asOf: day(0), now: new Date(), store: 'in-flight' })) stored.push(e);
  await trx.commit();
  const { evaluation, stored: body } = await rebuildEvaluation(t.db, card, ENDED, 'public', day(0), new Date());
  expect(body).toBe(evaluationJson(stored[0].public));
  expect(evaluationJson(evaluation)).toBe(body);
  // read afresh now, the committed penalty counts
  for await (const e of evaluatePages(t.db, [[ENDED]], { card, asOf: day(0), now: new Date() })) expect(e.public.inputHash).not.toBe(stored[0].public.inputHash);
});

it('credit-etl card validate, evaluate and report', async () => {
  const env = { DATABASE_URL: t.url };
  expect((await runCli(['card', 'validate', 'schemas/evaluation/cards/basic-v1.json'], env)).stdout).toContain('card valid: basic-v1');
  const bad = JSON.parse(readFileSync('schemas/evaluation/cards/basic-v1.json', 'utf8'));
  bad.grades[0].minScore = 100;
  writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(bad));
  const invalid = await runCli(['card', 'validate', path.join(dir, 'bad.json')], env);
  expect(invalid.code).toBe(1);
  expect(invalid.stdout).toContain('/grades/1/minScore');

  const one = await runCli(['evaluate', '--card', 'basic-v1', '--uscc', ENDED, '--json'], env);
  expect(one.code, one.stderr).toBe(0);
  const parsed = JSON.parse(one.stdout.trim());
  expect(parsed.public.card).toEqual({ id: 'basic-v1', version: card.version });
  const all = await runCli(['evaluate', '--all', '--store'], env);
  expect(all.code, all.stderr).toBe(0);
  expect(all.stderr).toMatch(/^\d+ enterprises evaluated/m);
  const [{ n }] = await t.db.knex('credit_evaluations').where({ trigger: 'cli' }).count('* as n');
  expect(Number(n)).toBe(Number(all.stderr.match(/^(\d+) enterprises/m)![1]));
  expect((await runCli(['evaluate', '--uscc', ENDED, '--all'], env)).code).toBe(2);
  const log = await t.db.knex('access_log').where({ action: 'evaluation.run' }).orderBy('seq');
  expect(log.map((e) => e.detail.all)).toEqual([false, true]);

  const out = path.join(dir, '报告.pdf');
  const rep = await runCli(['report', ENDED, '--out', out], env);
  expect(rep.code, rep.stderr).toBe(0);
  expect(readFileSync(out).subarray(0, 5).toString()).toBe('%PDF-');
  expect(rep.stdout).toMatch(/报告 XYBG-\d{8}-[0-9A-F]{10} 已写入/);
});
