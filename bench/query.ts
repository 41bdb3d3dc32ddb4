// npm run bench -- query: enterprise profiles by USCC through the HTTP API (autocannon, in a process
// of its own) against the same SQL through pgbench, on a store of BENCH_RECORDS (default 10,000,000)
// credit records, as requests/s, p50, p99 and the ratio to pgbench.
//
// The store is generated server-side: the seven fixture batches are ingested through the real
// pipeline (so batches, provenance and the jsonb payloads have exactly the store's shape), then their
// records serve as templates that INSERT ... SELECT multiplies over ~1M synthetic enterprises with
// valid USCCs (1-29 records each, skewed to few: median 8, mean ~10), in chunks, with earlier versions for ~4% of the
// records and enterprise authorisations for a share of the enterprises. Loading 10M records through
// `credit-etl ingest` would take over 20 minutes at its 8k rows/s.
//
// Knobs: BENCH_RECORDS, BENCH_CONNECTIONS (16), BENCH_DURATION (s, 30), BENCH_WARMUP (s, 10),
// BENCH_KEEP_DB=1 (keep the loaded database, BENCH_DB, default credit_etl_bench_query), BENCH_REUSE_DB=1 (use a kept one,
// skipping the load), BENCH_LOAD_ONLY=1, BENCH_PGBENCH_SCRIPT (default bench/query-profile.pgbench.sql).
// Needs PostgreSQL and pgbench (PGBENCH= another path).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import pino from 'pino';
import { ingestFile } from '../ingest/ingest-file.ts';
import { COUNTIES, buildUscc, createRng, orgCodeBody } from '../testkit/synthetic.ts';
import { categories, category, findProviderUnit, keyPartFields, type CategoryId } from '../schemas/registry.ts';
import { appendAccess } from '../store/access-log.ts';
import { createApiToken } from '../store/api-tokens.ts';
import { registerInstitution } from '../store/institutions.ts';
import { databaseUrl, dropDatabase } from '../store/databases.ts';
import { openDb, type Db } from '../store/db.ts';
import { migrateLatest } from '../store/migrate.ts';
import { fieldSql, payloadKeys, payloadSql, slotOf } from '../store/payload.ts';
import { ADMIN_URL, fmt, freshDb, since } from './common.ts';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 10_000_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const DURATION = Number(process.env.BENCH_DURATION ?? 30);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);
const KEEP = process.env.BENCH_KEEP_DB === '1';
const REUSE = process.env.BENCH_REUSE_DB === '1';
const PGBENCH = process.env.PGBENCH || 'pgbench';
const DB_NAME = process.env.BENCH_DB || 'credit_etl_bench_query';
const INSTITUTION = '临沂某银行';
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const say = (s: string) => process.stderr.write(`${s}\n`);

const FIXTURE_BATCHES: readonly { category: CategoryId; provider: string }[] = [
  { category: 'licensing', provider: '市发展改革委' }, { category: 'penalty', provider: '市发展改革委' },
  { category: 'enforcement', provider: '市发展改革委' }, { category: 'water', provider: 'water-utility' },
  { category: 'gas', provider: 'gas-utility' }, { category: 'rnd', provider: '市科技局' }, { category: 'agri', provider: '市农业农村局' },
];

/** Share of the records per category, in thousandths. */
const SHARE: Readonly<Record<CategoryId, number>> = { licensing: 300, penalty: 120, enforcement: 40, water: 250, gas: 150, rnd: 40, agri: 100 };

/** What makes each generated record of a category a distinct fact (its natural key) and the enterprise's: field -> SQL text. */
function overrides(c: CategoryId): Record<string, string> {
  const month = `to_char(date '2026-10-01' - make_interval(months => j - 1), 'YYYY-MM')`;
  const template = (key: string) => `(${fieldSql(c, key, 't.')})`;
  const own = { subject_uscc: 'e.uscc', subject_name: 'e.name' };
  switch (c) {
    case 'licensing': case 'penalty': case 'enforcement': return { ...own, decision_no: `${template('decision_no')} || '-' || j` };
    case 'water': return { ...own, account_name: 'e.name', account_no: `'LYS' || lpad(e.ord::text, 9, '0')`, billing_month: month };
    case 'gas': return { ...own, account_name: 'e.name', account_no: `'LYR' || lpad(e.ord::text, 9, '0')`, billing_month: month };
    // rnd and agri: only the templates that carry the field (see load)
    case 'rnd': return { ...own, support_item: `${template('support_item')} || '（' || j || '）'` };
    // agri's key has the name, not the USCC, and generated names repeat across enterprises
    case 'agri': return { ...own, right_cert_no: `${template('right_cert_no')} || '-' || e.ord || '-' || j` };
  }
}

function insertSql(c: CategoryId, lo: number, hi: number, templates: number): string {
  const spec = category(c);
  let from = 0;
  for (const s of categories()) { if (s.id === c) break; from += SHARE[s.id]; }
  const changed = overrides(c);
  // The template's payload holds every slot, so each override replaces its field in place.
  const payload = Object.entries(changed).reduce((p, [key, value]) => `jsonb_set(${p}, '{${slotOf(c, key)}}', to_jsonb(${value}))`, 't.fields');
  const field = (key: string) => changed[key] ?? `(${fieldSql(c, key, 't.')})`;
  // a key part with alternatives takes the first field present, as naturalKey() does
  const nk = spec.naturalKey.map((part) => `coalesce(${keyPartFields(part).map(field).join(', ')}, '')`).join(` || '|' || `);
  const eventDate = c === 'water' || c === 'gas' ? `(${field('billing_month')} || '-01')::date` : 't.event_date';
  return `INSERT INTO credit_records (category, natural_key, subject_uscc, subject_name, event_date, fields, content_hash, version,
      source_unit, delivered_by, batch_id, source_line, received_at, loaded_at, schema_version)
    SELECT '${c}', ${nk}, e.uscc, e.name, ${eventDate}, p.payload, md5(p.payload::text) || md5(e.uscc || j), CASE WHEN (x.h / 7) % 25 = 0 THEN 2 ELSE 1 END,
      t.source_unit, t.delivered_by, t.batch_id, (x.h % 50000 + 2)::int, t.received_at - make_interval(days => (x.h % 900)::int),
      t.received_at - make_interval(days => (x.h % 900)::int) + interval '40 seconds', t.schema_version
    FROM bench_enterprises e
    CROSS JOIN LATERAL generate_series(1, e.n_records) j
    CROSS JOIN LATERAL (SELECT hashint8(e.ord * 64 + j)::bigint & 2147483647 AS h) x
    JOIN bench_templates t ON t.category = '${c}' AND t.k = (x.h / 1000) % ${templates}
    CROSS JOIN LATERAL (SELECT ${payload} AS payload) p
    WHERE e.ord BETWEEN ${lo} AND ${hi} AND x.h % 1000 >= ${from} AND x.h % 1000 < ${from + SHARE[c]}
    ORDER BY e.ord, j`;
}

/** ~1M enterprises with valid USCCs, 1-29 records each (1 + floor(29u²): median 8, mean ~10), until RECORDS are reached. */
function enterprises(): { rows: string; count: number; usccs: string[] } {
  const rng = createRng('bench-query');
  const seen = new Set<string>();
  const list: { uscc: string; name: string; n: number }[] = [];
  const words = ['鑫', '华', '恒', '瑞', '泰', '宏', '盛', '源', '达', '通', '嘉', '丰', '润', '祥', '兴', '隆', '昌', '顺', '安', '邦'];
  const trades = ['商贸', '食品', '机械', '化工', '物流', '建筑工程', '木业', '农业科技', '电子', '医药'];
  for (let total = 0; total < RECORDS;) {
    const county = rng.pick(COUNTIES);
    const uscc = buildUscc(rng.chance(0.9) ? '91' : '92', county.code, orgCodeBody(rng));
    if (seen.has(uscc)) continue;
    seen.add(uscc);
    const n = 1 + Math.floor(29 * rng.next() ** 2);
    total += n;
    list.push({ uscc, name: `${county.name}${rng.pick(words)}${rng.pick(words)}${rng.pick(trades)}有限公司`, n });
  }
  list.sort((a, b) => (a.uscc < b.uscc ? -1 : 1));
  return { rows: list.map((e, i) => `${i + 1}\t${e.uscc}\t${e.name}\t${e.n}\n`).join(''), count: list.length, usccs: list.map((e) => e.uscc) };
}

async function copyIn(url: string, sql: string, data: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const stream = client.query(copyFrom(sql));
    await new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
      stream.end(data);
    });
  } finally {
    await client.end();
  }
}

async function load(url: string, db: Db): Promise<{ seconds: number; enterprises: number; records: number; versions: number; grants: number; sizeGb: number }> {
  const start = process.hrtime.bigint();
  const k = db.knex;
  await migrateLatest(k);
  const log = pino({ level: 'warn' }, pino.destination(2));
  for (const b of FIXTURE_BATCHES) {
    const file = here(`../fixtures/csv/${b.category}.csv`);
    const r = await ingestFile(db, { file, category: category(b.category), deliverer: findProviderUnit(b.provider)! }, { log });
    if (r.status !== 'loaded') throw new Error(`fixture ${b.category}: ${r.status}`);
  }
  // The templates' payloads with every slot present (empty ones null), so that overrides set slots in place.
  const everySlot = (c: CategoryId) => payloadSql(c, Object.fromEntries(payloadKeys(c).map((key) => [key, `fields->${slotOf(c, key)}`])));
  await k.raw(`CREATE TABLE bench_templates AS SELECT category, (row_number() OVER (PARTITION BY category ORDER BY id) - 1)::int AS k,
    CASE category ${categories().map((c) => `WHEN '${c.id}' THEN ${everySlot(c.id)}`).join(' ')} END AS fields,
    event_date, source_unit, delivered_by, batch_id, received_at, schema_version FROM credit_records
    WHERE (category <> 'rnd' OR ${fieldSql('rnd', 'support_item')} IS NOT NULL) AND (category <> 'agri' OR ${fieldSql('agri', 'right_cert_no')} IS NOT NULL)`);
  const templates = Object.fromEntries((await k('bench_templates').select('category').count('* as n').groupBy('category'))
    .map((r: any) => [r.category, Number(r.n)])) as Record<CategoryId, number>;
  await k.raw('TRUNCATE credit_records, credit_record_versions');
  const ents = enterprises();
  await k.raw('CREATE TABLE bench_enterprises (ord integer PRIMARY KEY, uscc text NOT NULL UNIQUE, name text NOT NULL, n_records integer NOT NULL)');
  await copyIn(url, 'COPY bench_enterprises (ord, uscc, name, n_records) FROM STDIN', ents.rows);
  say(`query bench: ${fmt(ents.count)} enterprises (${fmt(since(start), 1)} s); generating ${fmt(RECORDS)} records …`);
  const CHUNK = 50_000;
  for (let lo = 1; lo <= ents.count; lo += CHUNK) {
    const hi = Math.min(ents.count, lo + CHUNK - 1);
    for (const c of categories()) await k.raw(insertSql(c.id, lo, hi, templates[c.id]));
    say(`  enterprises ${fmt(hi)}/${fmt(ents.count)}, ${fmt(since(start))} s`);
  }
  // Earlier versions of the records at version 2, as an update with a changed remark would leave them
  // (the payloads generated hold every slot, so jsonb_set replaces the remark in place).
  const remarked = `CASE category ${categories().filter((c) => c.field.has('remarks'))
    .map((c) => `WHEN '${c.id}' THEN jsonb_set(fields, '{${slotOf(c.id, 'remarks')}}', '"更正前"')`).join(' ')} ELSE fields END`;
  await k.raw(`INSERT INTO credit_record_versions (record_id, category, natural_key, subject_uscc, subject_name, event_date, fields, content_hash, version,
      source_unit, delivered_by, batch_id, source_line, received_at, loaded_at, schema_version, superseded_at, superseded_by_batch)
    SELECT id, category, natural_key, subject_uscc, subject_name, event_date, ${remarked}, md5(content_hash), 1,
      source_unit, delivered_by, batch_id, source_line, received_at - interval '30 days', loaded_at - interval '30 days', schema_version, loaded_at, batch_id
    FROM credit_records WHERE version = 2`);
  // Authorisations: 20% of the enterprises to the bank for every category, 8% expired, 25% to the platform (collection).
  const all = `ARRAY['licensing','penalty','enforcement','water','gas','rnd','agri']`;
  await k.raw(`INSERT INTO enterprise_authorisations (id, enterprise_uscc, categories, institution, granted_at, expires_at, evidence_kind, evidence_ref, recorded_by)
    SELECT gen_random_uuid(), uscc, ${all}, ?, now() - interval '200 days', now() + interval '300 days', '线上', 'BENCH-' || ord, 'bench' FROM bench_enterprises WHERE ord % 5 = 0
    UNION ALL SELECT gen_random_uuid(), uscc, ${all}, ?, now() - interval '800 days', now() - interval '70 days', '书面', NULL, 'bench' FROM bench_enterprises WHERE ord % 12 = 1
    UNION ALL SELECT gen_random_uuid(), uscc, ARRAY['water','gas','rnd','agri'], NULL, now() - interval '100 days', now() + interval '600 days', '线上', NULL, 'bench' FROM bench_enterprises WHERE ord % 4 = 2`,
  [INSTITUTION, INSTITUTION]);
  await k.raw('DROP TABLE bench_templates');
  await k.raw('VACUUM ANALYZE');
  const count = async (t: string) => Number((await k(t).count('* as n'))[0].n);
  const size = Number((await k.raw('SELECT pg_database_size(current_database()) AS s')).rows[0].s);
  return { seconds: since(start), enterprises: ents.count, records: await count('credit_records'), versions: await count('credit_record_versions'), grants: await count('enterprise_authorisations'), sizeGb: size / 2 ** 30 };
}

interface Result { label: string; rps: number; p50: number; p99: number; detail: string }

function startServer(url: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', here('query-server.ts')], { env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`query-server exited ${code}`)));
  });
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${out}`))));
  });
}

async function http(url: string, token: string, usccFile: string): Promise<Result> {
  const { child, port } = await startServer(url);
  try {
    const client = (duration: number) => run(process.execPath, ['--import', 'tsx', here('query-client.ts')], {
      BENCH_URL: `http://127.0.0.1:${port}`, BENCH_TOKEN: token, BENCH_USCC_FILE: usccFile, BENCH_CONNECTIONS: String(CONNECTIONS), BENCH_DURATION: String(duration),
    });
    say(`query bench: HTTP warm-up ${WARMUP} s …`);
    await client(WARMUP);
    say(`query bench: HTTP ${CONNECTIONS} connections, ${DURATION} s …`);
    const r = JSON.parse(await client(DURATION));
    if (r.non2xx || r.errors || r.timeouts) throw new Error(`HTTP run had failures: ${JSON.stringify(r)}`);
    return { label: `HTTP GET /enterprises/:uscc (autocannon, ${CONNECTIONS} connections)`, rps: r.total / DURATION, p50: r.latency.p50, p99: r.latency.p99, detail: JSON.stringify(r) };
  } finally {
    child.kill('SIGTERM');
  }
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** An access-log detail of the size an enterprise.read entry has (every category returned under one grant). */
const DETAIL = JSON.stringify({
  returned: categories().map((c) => c.id), withheld: [], masked: {},
  authorisations: Object.fromEntries(categories().map((c) => [c.id, '3d348650-0522-4698-99c2-282fa8f389ff'])), pastPublicityHidden: 0, includePastPublicity: false,
});

async function pgbench(url: string, token: { id: string; institutionId: string }, enterprises: number, dir: string): Promise<Result> {
  const script = path.join(dir, 'profile.sql');
  writeFileSync(script, readFileSync(process.env.BENCH_PGBENCH_SCRIPT || here('query-profile.pgbench.sql'), 'utf8'));
  const args = (duration: number, logged: boolean) => ['-n', '-M', 'prepared', '-c', String(CONNECTIONS), '-j', '2', '-T', String(duration),
    '-D', `n=${enterprises}`, '-D', `token_id=${token.id}`,
    '-D', `institution=${INSTITUTION}`, '-D', `institution_id=${token.institutionId}`, '-D', `at=${new Date().toISOString()}`, '-D', `detail=${DETAIL}`, '-f', script,
    ...(logged ? ['-l', `--log-prefix=${path.join(dir, 'pgbench_log')}`] : []), url];
  say(`query bench: pgbench warm-up ${WARMUP} s …`);
  await run(PGBENCH, args(WARMUP, false));
  say(`query bench: pgbench ${CONNECTIONS} clients, ${DURATION} s …`);
  const out = await run(PGBENCH, args(DURATION, true));
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1]);
  const lat: number[] = [];
  for (const f of readdirSync(dir).filter((x) => x.startsWith('pgbench_log'))) {
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      const cols = line.split(' ');
      if (cols.length >= 3) lat.push(Number(cols[2]) / 1000);
    }
  }
  const sorted = Float64Array.from(lat).sort();
  const failed = /number of failed transactions: (\d+)/.exec(out)?.[1];
  if (failed && failed !== '0') throw new Error(`pgbench had failed transactions:\n${out}`);
  return { label: `pgbench, the same SQL (${CONNECTIONS} clients, -j 2, -M prepared)`, rps: tps, p50: percentile(sorted, 50), p99: percentile(sorted, 99), detail: out.trim().split('\n').slice(-6).join(' / ') };
}

async function main() {
  const url = databaseUrl(ADMIN_URL, DB_NAME);
  const dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-bench-query-'));
  let db: Db | undefined;
  try {
    let loaded: Awaited<ReturnType<typeof load>> | undefined;
    if (!REUSE) {
      await freshDb(DB_NAME);
      db = await openDb({ databaseUrl: url, dataDir: '' });
      loaded = await load(url, db);
      say(`query bench: loaded ${fmt(loaded.records)} records of ${fmt(loaded.enterprises)} enterprises in ${fmt(loaded.seconds, 1)} s (${fmt(loaded.sizeGb, 1)} GiB)`);
    } else {
      db = await openDb({ databaseUrl: url, dataDir: '' });
    }
    if (process.env.BENCH_LOAD_ONLY === '1') return;
    const k = db.knex;
    const usccs: string[] = (await k('bench_enterprises').select('uscc').orderBy('ord')).map((r: { uscc: string }) => r.uscc);
    const usccFile = path.join(dir, 'usccs.txt');
    writeFileSync(usccFile, `${usccs.join('\n')}\n`);
    // The bank as the service knows it: registered, its grants and token referring to its id.
    const { institution } = await registerInstitution(db, INSTITUTION);
    await k('enterprise_authorisations').where({ institution: INSTITUTION }).update({ institution_id: institution.id });
    const { token, record } = await createApiToken(db, { role: 'analyst', unit: INSTITUTION, label: 'query bench', createdBy: 'bench', institutionId: institution.id });
    // The chain needs a head before pgbench's script reads it.
    await appendAccess(db, { at: new Date().toISOString(), requestId: null, actor: { role: 'admin', unit: 'bench', tokenId: null }, action: 'token.create', enterprises: [], detail: { tokenId: record.id } });
    const records = loaded?.records ?? Number((await k('credit_records').count('* as n'))[0].n);
    await db.close();
    db = undefined;

    const h = await http(url, token, usccFile);
    const p = await pgbench(url, { id: record.id, institutionId: institution.id }, usccs.length, dir);
    console.log(`\n${fmt(records)} credit records of ${fmt(usccs.length)} enterprises${loaded ? `, loaded in ${fmt(loaded.seconds, 0)} s (${fmt(loaded.versions)} earlier versions, ${fmt(loaded.grants)} authorisations, database ${fmt(loaded.sizeGb, 1)} GiB)` : ''}; `
      + `random USCC per request; ${DURATION} s after ${WARMUP} s warm-up; Node ${process.version}\n`);
    console.log('| run | requests/s | p50 ms | p99 ms | ratio to pgbench |');
    console.log('|---|---|---|---|---|');
    for (const r of [h, p]) console.log(`| ${r.label} | ${fmt(r.rps)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${fmt(r.rps / p.rps, 2)}x |`);
    console.log(`\nautocannon: ${h.detail}\npgbench: ${p.detail}`);
  } finally {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
    if (!KEEP) await dropDatabase(ADMIN_URL, DB_NAME);
  }
}

await main();
