// Post-loan alerts on the command line. `watch …` keeps an institution's watchlist (operators act
// for a bank that has no API access yet); `alerts …` runs the delivery worker, manages webhook
// endpoints, releases or discards held batches, and shows the operators' figures.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { EVENT_TYPES } from '../../alerts/classify.ts';
import { readListFile, watchesFromTable, watchFromCells, type WatchListProblem } from '../../alerts/watch-list.ts';
import { commandLineActor } from '../../api/operations.ts';
import { startAlertWorker } from '../../jobs/alerts.ts';
import { connectQueues } from '../../jobs/connection.ts';
import { untilSignal } from '../../jobs/shutdown.ts';
import { loadAlertConfig, loadCollectionConfig } from '../../config/config.ts';
import {
  addEndpoint, alertStats, dailyDigest, decideHold, listEndpoints, rotateSecret, scanClockEvents, setEndpointStatus, type AlertStats,
} from '../../store/alerts.ts';
import { findInstitution } from '../../store/institutions.ts';
import { listWatches, setWatchStatus, upsertWatches, type Watch } from '../../store/watches.ts';
import type { Db } from '../../store/db.ts';
import { log, UsageError, withDb } from '../context.ts';
import { opsServer } from '../../lib/ops-routes.ts';
import { storeReadiness } from '../../store/readiness.ts';

/** The registered institution named (or by id); an unregistered name is a usage error, never a watchlist nobody reads. */
async function institutionOf(db: Db, name: string) {
  const i = await findInstitution(db, name);
  if (!i) throw new UsageError(`未登记的金融机构 unknown institution "${name}" (credit-etl institutions list)`);
  return i;
}

const problemLines = (ps: readonly WatchListProblem[]) => ps.map((p) => `第${p.line}行 line ${p.line} [${p.column}] "${p.value}": ${p.messageZh} / ${p.messageEn}`).join('\n');
const watchLine = (w: Watch) => `${w.id}  ${w.subject_uscc}  ${w.status.padEnd(6)} ${w.loan_ref ?? '-'}  ${w.event_types.length ? w.event_types.join(',') : '(all types)'}  `
  + `${w.active_from ?? '…'} → ${w.active_until ?? '…'}`;

function formatStats(s: AlertStats): string {
  const lines = [
    `outbox backlog (unrelayed): ${s.backlog}    held: ${s.held}`,
    `withheld: ${s.withheld.notifications} at relay, ${s.withheld.deliveries} at delivery (no authorisation to the institution: `
      + `${s.withheld.byReason.unauthorised.notifications} + ${s.withheld.byReason.unauthorised.deliveries}; `
      + `collected under a lapsed platform authorisation: ${s.withheld.byReason.lapsed.notifications} + ${s.withheld.byReason.lapsed.deliveries})`,
    `commit → webhook delivered (last 24 h): n=${s.latencyMs.count}  p50 ${s.latencyMs.p50 ?? '-'} ms  p95 ${s.latencyMs.p95 ?? '-'} ms`,
    `events (last 24 h): ${Object.entries(s.eventsByType).filter(([, n]) => n).map(([t, n]) => `${t} ${n}`).join(', ') || 'none'}`,
    'deliveries by endpoint:',
    ...s.endpoints.map((e) => `  ${e.endpoint_id}  ${e.institution}  ${e.status.padEnd(8)} ${e.url}  ${Object.entries(e.states).map(([k, n]) => `${k} ${n}`).join(', ') || '(none)'}`),
  ];
  if (s.holds.length) {
    lines.push('HELD batches (mass-withdrawal guard; `credit-etl alerts release|discard <batch>`):');
    for (const h of s.holds) lines.push(`  ${h.batch_id}  ${h.category} by ${h.delivered_by}: withdraws ${h.withdrawn} of ${h.records_before}, ${h.events} events held since ${h.held_at}`);
  }
  return lines.join('\n');
}

export function register(program: Command): void {
  const watch = program.command('watch').description('an institution\'s watchlist for post-loan alerts');
  const institution = (c: Command) => c.requiredOption('--institution <name>', 'the lending institution, as registered (credit-etl institutions list)');

  institution(watch.command('add').description('watch one enterprise'))
    .requiredOption('--uscc <code>', '统一社会信用代码')
    .option('--types <list>', `event types, comma-separated (default all): ${EVENT_TYPES.join(', ')}`, '')
    .option('--loan <ref>', 'loan reference', '')
    .option('--from <date>', 'watch from (YYYY-MM-DD)', '')
    .option('--until <date>', 'watch until (YYYY-MM-DD)', '')
    .action(async (opts) => withDb(async (db) => {
      const cells: Record<string, string> = { subjectUscc: opts.uscc, eventTypes: opts.types, loanRef: opts.loan, activeFrom: opts.from, activeUntil: opts.until };
      const r = watchFromCells((c) => cells[c], 1, (c) => c);
      if (!r.watch) throw new UsageError(problemLines(r.problems));
      const [w] = await upsertWatches(db, (await institutionOf(db, opts.institution)).id, [r.watch], commandLineActor().unit);
      console.log(watchLine(w));
    }));

  institution(watch.command('import').description('import a borrower list (CSV in UTF-8 or GBK, or .xlsx); any error imports nothing'))
    .argument('<file>')
    .action(async (file: string, opts) => withDb(async (db) => {
      let content: Buffer;
      try {
        content = readFileSync(file);
      } catch {
        throw new UsageError(`文件不存在 no such file: ${file}`);
      }
      const t = watchesFromTable(await readListFile(path.basename(file), content));
      if (t.problems.length) throw new UsageError(`名单有错误，未导入 / the list has errors, nothing imported:\n${problemLines(t.problems)}`);
      const inst = await institutionOf(db, opts.institution);
      const saved = await upsertWatches(db, inst.id, t.watches, commandLineActor().unit);
      console.log(`imported ${saved.length} watches for ${inst.name}`);
    }));

  for (const [name, status] of [['pause', 'paused'], ['resume', 'active']] as const) {
    institution(watch.command(name).description(`${name} a watch`)).argument('<id>')
      .action(async (id: string, opts) => withDb(async (db) => {
        const w = await setWatchStatus(db, (await institutionOf(db, opts.institution)).id, id, status);
        if (!w) throw new UsageError(`${opts.institution} 没有这个监测项 / has no watch ${id}`);
        console.log(watchLine(w));
      }));
  }

  institution(watch.command('list').description('list the institution\'s watches')).option('--uscc <code>').option('--json')
    .action(async (opts) => withDb(async (db) => {
      const rows = await listWatches(db, (await institutionOf(db, opts.institution)).id, { uscc: opts.uscc?.toUpperCase(), limit: 100_000 });
      console.log(opts.json ? JSON.stringify(rows) : rows.map(watchLine).join('\n'));
    }));

  const alerts = program.command('alerts').description('post-loan alerts: delivery worker, endpoints, held batches, figures');

  alerts.command('work').description('relay the outbox and deliver webhooks (BullMQ, REDIS_URL) until SIGTERM; without REDIS_URL it relays only (the pull feed)')
    .option('--host <host>', 'address of the /metrics, /health and /ready server', '127.0.0.1')
    .action(async (opts) => withDb(async (db) => {
      const collection = loadCollectionConfig();
      const { port, ...alertConfig } = loadAlertConfig();
      const conn = collection.redisUrl ? connectQueues(collection) : undefined;
      // The port first: a worker that cannot serve its metrics stops before it takes any job.
      const server = opsServer({ checks: { ...storeReadiness(db), ...(conn ? { redis: async () => void (await conn.connection.ping()) } : {}) } });
      let at: string;
      try {
        at = await server.listen({ host: opts.host, port });
      } catch (e) {
        await conn?.connection.quit();
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new UsageError(`端口 ${port} 已被占用，告警 worker 未启动 / port ${port} on ${opts.host} is in use (another alert worker?): set CREDIT_ETL_ALERT_PORT to a free port (0: any)`);
        }
        throw e;
      }
      const w = startAlertWorker({ db, conn, log, lockMs: collection.jobLockMs, ...alertConfig });
      log.info({ metrics: `${at}/metrics`, ready: `${at}/ready` }, 'alert worker listening');
      if (process.stderr.isTTY) console.error(`credit-etl alerts work: ${conn ? `webhooks and the pull feed, Redis prefix ${conn.prefix}` : 'the pull feed only (no REDIS_URL)'}; metrics ${at}/metrics  ready ${at}/ready`);
      if (conn) log.info({ prefix: conn.prefix }, 'alert worker ready');
      else log.warn('no REDIS_URL: alerts are relayed to watches and the pull feed (GET /alerts), webhooks wait until a worker with Redis runs');
      console.log('alert worker ready');
      const signal = await untilSignal(() => process.exit(130));
      log.info({ signal }, 'alert worker shutting down');
      await server.close();
      await w.close();
      await conn?.connection.quit();
    }));

  alerts.command('stats').description('outbox backlog, held batches, deliveries by state per endpoint, commit-to-delivery p50/p95').option('--json')
    .action(async (opts) => withDb(async (db) => {
      const s = await alertStats(db, new Date());
      console.log(opts.json ? JSON.stringify(s) : formatStats(s));
    }));

  for (const decision of ['release', 'discard'] as const) {
    alerts.command(decision).description(decision === 'release' ? 'let a held batch\'s events go out' : 'drop a held batch\'s events for good').argument('<batchId>')
      .action(async (batchId: string) => withDb(async (db) => {
        if (!(await decideHold(db, batchId, decision === 'release' ? 'released' : 'discarded', commandLineActor().unit, new Date()))) {
          throw new UsageError(`没有待处理的暂扣批次 no undecided hold for batch ${batchId}`);
        }
        console.log(`${batchId}: ${decision}d`);
      }));
  }

  alerts.command('scan').description('look for clock-driven events now (licence.expiring, publicity.ended)')
    .option('--days <n>', 'licence.expiring this many days ahead', (v) => Number(v), 30)
    .action(async (opts) => withDb(async (db) => console.log(`${await scanClockEvents(db, new Date(), opts.days)} new events`)));

  institution(alerts.command('digest').description('one institution\'s alerts of one day, summed up'))
    .option('--date <YYYY-MM-DD>', 'the day (UTC; default today)').option('--json')
    .action(async (opts) => withDb(async (db) => {
      const d = await dailyDigest(db, await institutionOf(db, opts.institution), opts.date ?? new Date().toISOString().slice(0, 10));
      if (opts.json) return console.log(JSON.stringify(d));
      console.log(`${d.institution} ${d.day}: ${d.total} alerts (${Object.entries(d.bySeverity).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}), ${d.withheld} withheld`);
      for (const [t, n] of Object.entries(d.byType)) console.log(`  ${t}: ${n}`);
      for (const e of d.enterprises.slice(0, 50)) console.log(`  ${e.uscc}: ${e.events} (${e.high} high)`);
    }));

  const endpoint = alerts.command('endpoint').description('an institution\'s webhook endpoints');
  institution(endpoint.command('add').description('add an endpoint; prints its signing secret once'))
    .requiredOption('--url <url>').option('--types <list>', 'event types (default all)', '').option('--max-in-flight <n>', 'concurrent attempts to it', (v) => Number(v), 4)
    .option('--allow-internal', 'let it resolve to an internal address (private, loopback): refused by default against request forgery')
    .action(async (opts) => withDb(async (db) => {
      if (!/^https?:\/\//.test(opts.url)) throw new UsageError('--url must be http(s)');
      const types = String(opts.types).split(',').filter(Boolean);
      const bad = types.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
      if (bad.length) throw new UsageError(`未知事件类型 unknown event types: ${bad.join(', ')}`);
      const e = await addEndpoint(db, { institutionId: (await institutionOf(db, opts.institution)).id, url: opts.url, eventTypes: types, maxInFlight: opts.maxInFlight, allowInternal: Boolean(opts.allowInternal) });
      console.log(`${e.id}  ${e.url}\nsecret: ${e.secrets[0]}`);
    }));
  endpoint.command('rotate').description('add a new secret (old ones keep signing until --retire)').argument('<id>').option('--retire', 'keep only the newest secret')
    .action(async (id: string, opts) => withDb(async (db) => {
      const e = await rotateSecret(db, id, opts.retire);
      if (!e) throw new UsageError(`unknown endpoint ${id}`);
      console.log(opts.retire ? `${id}: only the newest secret signs now` : `${id}: new secret ${e.secrets[0]} (signing with ${e.secrets.length})`);
    }));
  for (const status of ['enabled', 'disabled'] as const) {
    endpoint.command(status === 'enabled' ? 'enable' : 'disable').argument('<id>').action(async (id: string) => withDb(async (db) => {
      if (!(await setEndpointStatus(db, id, status))) throw new UsageError(`unknown endpoint ${id}`);
      console.log(`${id}: ${status}`);
    }));
  }
  endpoint.command('list').option('--institution <name>').action(async (opts) => withDb(async (db) => {
    const only = opts.institution ? (await institutionOf(db, opts.institution)).id : undefined;
    for (const e of await listEndpoints(db, only)) console.log(`${e.id}  ${e.institution_id}  ${e.status}  ${e.url}  max ${e.max_in_flight}  secrets ${e.secrets.length}`);
  }));
}
