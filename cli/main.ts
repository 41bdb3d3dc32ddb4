// credit-etl command line. Exit codes: 0 done (a loaded batch may still have rejected rows),
// 1 failure, 2 usage or configuration error, 3 batch refused.
import { createWriteStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { ingestFile } from '../ingest/ingest-file.ts';
import { budgetFor } from '../pipelines/error-budget.ts';
import { ENCODING_NAMES, parseEncodingOption } from '../pipelines/stages/decode.ts';
import { reportHeader, reportLayout, reportLine } from '../pipelines/report.ts';
import type { BatchReport } from '../pipelines/run-batch.ts';
import { ConfigError, ENV } from '../config/config.ts';
import { categories } from '../schemas/registry.ts';
import { openDb } from '../store/db.ts';
import { migrateLatest } from '../store/migrate.ts';
import { cliReader, readEnterprise, readRejects } from '../api/governed.ts';
import { findInstitution } from '../store/institutions.ts';
import { batchIdsByPrefix, getBatch, listBatches, openRejects } from '../store/queries.ts';
import { formatBatchReport, formatBatchTable, formatProfile } from './format.ts';
import { config, log, resolveCategory, resolveProvider, UsageError, withDb } from './context.ts';

const ratio = (v: string) => {
  const x = Number(v);
  if (!(x >= 0 && x <= 1)) throw new InvalidArgumentError('a number between 0 and 1');
  return x;
};
const isoDay = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(v))) throw new InvalidArgumentError('a date YYYY-MM-DD');
  return v;
};
const count = (v: string) => {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 0) throw new InvalidArgumentError('a whole number >= 0');
  return x;
};

function progressBar(file: string) {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const total = statSync(file).size;
  const bar = new cliProgress.SingleBar({
    stream: process.stderr, format: '{bar} {percentage}% | {rows} rows | {mb}/{totalMb} MB | ETA {eta}s', hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { rows: 0, mb: '0', totalMb: (total / 1e6).toFixed(1) });
  return {
    update: (p: { bytes: number; rows: number }) => bar.update(p.bytes, { rows: p.rows.toLocaleString('en-US'), mb: (p.bytes / 1e6).toFixed(1) }),
    stop: () => bar.stop(),
  };
}

function reportJson(r: BatchReport) {
  return {
    batchId: r.batchId, status: r.status, category: r.category, fileName: r.fileName, deliveredBy: r.deliveredBy, encoding: r.encoding,
    sha256: r.sha256, sizeBytes: r.sizeBytes, read: r.read, accepted: r.accepted, rejected: r.rejected, inserted: r.inserted,
    updated: r.updated, unchanged: r.unchanged, duplicates: r.duplicates, refusal: r.refusal,
    issues: r.issues.map(({ line, column, value, code, messageZh, messageEn }) => ({ line, column, value, code, messageZh, messageEn })),
    warnings: r.warnings, warningCount: r.warningCount, error: r.error, durationMs: r.durationMs, phases: r.phases,
    ...(r.recognised ? { recognised: r.recognised } : {}),
  };
}

/** Errors that mean a server is down or unreachable, not a fault in credit-etl: one line, no stack. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', '3D000', '28P01', '28000']);

const exitCodeOf = (r: BatchReport) => (r.status === 'loaded' ? 0 : r.status === 'refused' ? 3 : 1);

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const GROUPS = { store: 'store and logs', service: 'service', audit: 'access log (audit)', collection: 'collection (worker, schedule, run)', alerts: 'alerts (credit-etl alerts work)', limits: 'limits on one delivery', tests: 'tests' } as const;
const envHelp = Object.entries(GROUPS).map(([group, title]) => [
  `  ${title}:`,
  ...Object.entries(ENV).filter(([, v]) => v.group === group).map(([name, v]) => `    ${name.padEnd(29)} ${v.description}`),
].join('\n')).join('\n');

const program = new Command('credit-etl')
  .description('临沂市中小微企业融资信用信息归集 / collects, validates and stores enterprise credit information with provenance')
  .version(version, '-V, --version', 'print the version')
  .exitOverride()
  .showHelpAfterError()
  .addHelpText('after', `
Environment variables (an empty one counts as unset; a bad value stops the command with exit 2):
${envHelp}

Exit codes:
  0  done (a loaded batch may still have rejected rows: see its report)
  1  failure (the store or a provider unreachable, a run that failed or was partial)
  2  usage or configuration error (an unknown option, a bad variable or sources file, a worker's port in use)
  3  batch refused (over its reject budget, or a header it cannot read)

Examples:
  npx credit-etl demo                                        # the whole pipeline on the bundled fixtures, no services needed
  npx credit-etl ingest 处罚.csv --category 行政处罚 --provider 市发展改革委
  npx credit-etl batches                                     # recent batches; --json for every field
  npx credit-etl stand-ins                                   # bundled stand-in providers, for trying the collection
  CREDIT_ETL_SOURCES=connectors/sources.demo.json REDIS_URL=redis://127.0.0.1:6379 npx credit-etl worker
  npx credit-etl serve --port 8080                           # uploads at /upload, OpenAPI at /docs, /metrics, /ready

Logs are JSON lines on stderr; to read them as text: npx credit-etl worker 2>&1 | npx pino-pretty
Help for one command: npx credit-etl help <command>`);

program.command('migrate').description('bring the store schema up to date').action(async () => {
  const db = await openDb(config());
  try {
    const ran = await migrateLatest(db.knex);
    console.log(ran.length ? `migrated ${db.location}: ${ran.join(', ')}` : `store ${db.location} is up to date`);
  } finally {
    await db.close();
  }
});

program.command('ingest').description('load one batch from a provider unit (CSV or .xlsx)')
  .argument('<file>', 'CSV file (UTF-8 or GBK/GB18030) or Excel workbook (.xlsx); Chinese or English headers')
  .requiredOption('--category <id>', `category: ${categories().map((c) => `${c.id}|${c.labelZh}`).join(', ')}`)
  .requiredOption('--provider <unit>', 'delivering unit (id, name or alias, e.g. 市发展改革委)')
  .addOption(new Option('--encoding <enc>', 'file encoding').default('auto').choices(ENCODING_NAMES))
  .option('--max-reject-ratio <r>', 'refuse the batch when more than this share of rows is rejected', ratio)
  .option('--max-rejects <n>', 'refuse the batch when more than this many rows are rejected', count)
  .option('--full', 'the file is the provider\'s whole current set of the category: its records missing from it are withdrawn')
  .option('--sheet <name>', 'the worksheet of an .xlsx file (default: the first that is not hidden)')
  .option('--corrects <batchId>', 'the batch this file corrects: its rejected rows at the lines loaded now become resolved (a corrected rejection report is recognised without it)')
  .option('--check-every-row', 'check every row, also those the store holds unchanged (left out unchecked otherwise): after a change to the checks')
  .option('--json', 'print one JSON object instead of the summary')
  .action(async (file: string, opts) => {
    const category = resolveCategory(opts.category);
    const deliverer = resolveProvider(opts.provider);
    if (!deliverer.categories.includes(category.id)) {
      throw new UsageError(`${deliverer.name} 不报送${category.labelZh} / does not deliver ${category.id}; it delivers: ${deliverer.categories.join(', ')}`);
    }
    try {
      statSync(file);
    } catch {
      throw new UsageError(`文件不存在 no such file: ${file}`);
    }
    const bar = opts.json ? { update: () => undefined, stop: () => undefined } : progressBar(file);
    const report = await withDb(async (db) => {
      if (opts.corrects !== undefined) {
        const original = await getBatch(db, opts.corrects);
        if (!original || original.delivered_by !== deliverer.name || original.category !== category.id) {
          throw new UsageError(`--corrects ${opts.corrects}: 没有${deliverer.name}报送的${category.labelZh}批次 / no ${category.id} batch of this unit with that id`);
        }
      }
      return ingestFile(db, {
        file, category, deliverer, encoding: parseEncodingOption(opts.encoding), limits: config().limits, sheet: opts.sheet, corrects: opts.corrects, fullDelivery: opts.full,
        checkEveryRow: opts.checkEveryRow, ...budgetFor(config().errorBudgets, category.id, { maxRejectRatio: opts.maxRejectRatio, maxRejects: opts.maxRejects }),
      }, { log, onProgress: bar.update });
    });
    bar.stop();
    console.log(opts.json ? JSON.stringify(reportJson(report)) : formatBatchReport(report));
    process.exitCode = exitCodeOf(report);
  });

program.command('rejects').description('write the rejection report of a batch (Excel-friendly CSV, UTF-8 with BOM; or .xlsx), or list its rejected rows as open or resolved')
  .argument('<batchId>', 'the batch id, or a unique prefix of it (as `batches` shows)')
  .option('--out <file>', 'write to a file instead of stdout (a .xlsx name writes a workbook)')
  .option('--open', 'only the rows no correction has loaded yet')
  .option('--json', 'list the rows (line, status, resolvedBy, issues) as JSON lines instead of the report')
  .action(async (given: string, opts) => withDb(async (db) => {
    const ids = await batchIdsByPrefix(db, given);
    if (ids.length > 1) throw new UsageError(`批次号前缀不唯一 / more than one batch starts with ${given}: give more characters`);
    const batch = ids.length ? await getBatch(db, ids[0]) : undefined;
    if (!batch) throw new UsageError(`未知批次 unknown batch ${given}`);
    const batchId = batch.id;
    const rows = await readRejects(db, cliReader(`rejects ${batchId}`), batch, new Date(), {
      status: opts.open ? 'open' : undefined, format: opts.json ? 'json' : opts.out && /\.xlsx$/i.test(opts.out) ? 'xlsx' : 'csv',
    });
    if (opts.json) {
      for await (const r of rows) console.log(JSON.stringify({ line: r.line, status: r.status, resolvedBy: r.resolvedBy, resolvedLine: r.resolvedLine, issues: r.issues.map((i) => i.messageZh) }));
      return;
    }
    if (opts.out && /\.xlsx$/i.test(opts.out)) {
      const out = createWriteStream(opts.out);
      const { writeXlsxReport } = await import('../pipelines/report-xlsx.ts'); // exceljs only when asked for
      await writeXlsxReport(out, reportLayout(batch.headers), rows);
      if (!out.writableFinished) await once(out, 'finish');
      console.error(`${opts.open ? await openRejects(db, batchId) : batch.rejected} rejected rows written to ${opts.out}`);
      return;
    }
    const out = opts.out ? createWriteStream(opts.out) : process.stdout;
    const write = async (s: string) => {
      if (!out.write(s)) await once(out, 'drain');
    };
    const layout = reportLayout(batch.headers);
    await write(reportHeader(layout));
    let n = 0;
    for await (const r of rows) {
      await write(reportLine(layout, r.line, r.cells, r.issues));
      n++;
    }
    if (opts.out) {
      (out as ReturnType<typeof createWriteStream>).end();
      await once(out, 'finish');
      console.error(`${n} rejected rows written to ${opts.out}`);
    }
  }));

program.command('batches').description('list recent batches with their reconciled counts')
  .option('--json', 'JSON output')
  .option('--limit <n>', 'how many', count, 50)
  .action(async (opts) => withDb(async (db) => {
    const rows = await listBatches(db, opts.limit);
    if (opts.json) return console.log(JSON.stringify(rows));
    if (!rows.length) return console.log('还没有批次 / no batches yet: npx credit-etl ingest <file> --category <类别> --provider <单位>');
    console.log(formatBatchTable(rows));
  }));

program.command('profile').description('one enterprise across the categories, with provenance and history, as the service shows it (masked, logged)')
  .argument('<uscc>')
  .option('--institution <name>', 'read as an analyst of this institution (under its authorisations); default: as platform staff')
  .option('--include-past-publicity', 'include penalties past their 公示截止期 (platform staff only)')
  .option('--json', 'JSON output (the shape of GET /enterprises/{uscc})')
  .option('--as-of <YYYY-MM-DD>', 'the day the water and gas indicators are computed as of (default: today in Asia/Shanghai)', isoDay)
  .action(async (uscc: string, opts) => withDb(async (db) => {
    const institution = opts.institution === undefined ? undefined : await findInstitution(db, opts.institution);
    if (opts.institution !== undefined && !institution) throw new UsageError(`未登记的金融机构 unknown institution "${opts.institution}" (credit-etl institutions list)`);
    const reader = cliReader(`profile ${uscc}${opts.institution ? ` --institution ${opts.institution}` : ''}`, { institution });
    if (opts.includePastPublicity && reader.role !== 'admin') throw new UsageError('只有平台工作人员可查看已过公示截止期的处罚 / only platform staff may include penalties past their publicity end');
    const profile = await readEnterprise(db, reader, uscc, { includePastPublicity: opts.includePastPublicity, now: new Date(), asOf: opts.asOf });
    console.log(opts.json ? JSON.stringify(profile) : formatProfile(profile));
    if (profile.categories.every((c) => c.records.length === 0)) process.exitCode = 1;
  }));

program.command('demo').description('migrate, load the fixture batch of every category, print the summary and a sample profile (npm start)')
  .action(async () => {
    const { runDemo } = await import('./demo.ts');
    await withDb((db) => runDemo(db, log));
  });

program.command('contract').description('write the data-contract document generated from the schemas')
  .option('--out <file>', 'target file', 'docs/data-contract.md')
  .action(async (opts) => {
    const { dataContractMarkdown } = await import('../schemas/contract.ts');
    writeFileSync(opts.out, dataContractMarkdown());
    console.log(`wrote ${opts.out}`);
  });

// The service and collection commands pull in fastify, BullMQ and their plugins (~50 MB); an
// ingest or a report does not need them, so they are loaded only for the other commands and help.
const STORE_COMMANDS = ['migrate', 'ingest', 'rejects', 'batches', 'profile', 'demo', 'contract'];
if (!STORE_COMMANDS.includes(process.argv[2])) {
  for (const m of await Promise.all([import('./commands/serve.ts'), import('./commands/tokens.ts'), import('./commands/authz.ts'),
    import('./commands/audit.ts'), import('./commands/collect.ts'), import('./commands/institutions.ts'), import('./commands/evaluation.ts'),
    import('./commands/alerts.ts'), import('./commands/stand-ins.ts')])) m.register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof UsageError || e instanceof ConfigError || (e as { code?: string }).code === 'E_SOURCE_CONFIG') {
    // The environment or the sources file: the message lists every problem; a stack would add nothing.
    console.error((e as Error).message);
    process.exitCode = 2;
  } else if (UNREACHABLE.has((e as { code?: string }).code ?? '')) {
    log.error({ code: (e as { code?: string }).code, message: (e as Error).message }, 'credit-etl failed: a service is unreachable');
    console.error(`连接失败 / cannot connect: ${(e as Error).message} (is the server at DATABASE_URL or REDIS_URL running and reachable?)`);
    process.exitCode = 1;
  } else {
    log.fatal({ err: e }, 'credit-etl failed');
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
