// credit-etl authz grant|revoke|list: the enterprise authorisation registry (annex note 3, 经企业授权).
import { Command, Option } from 'commander';
import { ApiError } from '../../api/errors.ts';
import { commandLineActor, grant, listGrants, purgeLapsed, revoke } from '../../api/operations.ts';
import type { CategoryId } from '../../schemas/registry.ts';
import type { Authorisation, EvidenceKind } from '../../store/authorisations.ts';
import { isDateOnly } from '../../lib/days.ts';
import { config, resolveCategory, UsageError, withDb } from '../context.ts';

const usage = (e: unknown) => (e instanceof ApiError && e.statusCode < 500 ? new UsageError(`${e.messageZh} / ${e.messageEn}`) : e);
/** A bare date stays a date (a whole Beijing day, see api/operations.ts grant); anything else must be an instant. */
const dayOrInstant = (v: string) => {
  if (isDateOnly(v)) return v;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`无效的时间 invalid date/time: ${v}`);
  return new Date(t).toISOString();
};
const line = (a: Authorisation) => `${a.id}  ${a.enterprise_uscc}  ${a.categories.join(',')}  ${a.institution ?? '(平台 platform)'}  `
  + `${a.granted_at} → ${a.expires_at}${a.revoked_at ? `  revoked ${a.revoked_at}` : ''}  ${a.evidence_kind}${a.evidence_ref ? ` ${a.evidence_ref}` : ''}`;

export function register(program: Command): void {
  const authz = program.command('authz').description('enterprise authorisations: who may read an enterprise\'s non-public data');

  authz.command('grant').description('record an authorisation given by an enterprise')
    .requiredOption('--uscc <code>', 'the enterprise\'s 统一社会信用代码')
    .requiredOption('--categories <list>', 'comma-separated categories (id or Chinese name), e.g. water,gas,行政处罚')
    .option('--institution <name>', 'the lending institution it is given to')
    .option('--platform', 'given to the platform itself (collection over provider interfaces)')
    .option('--from <time>', 'in force from (default now); a date: from the start of that day, Beijing time')
    .requiredOption('--until <time>', 'in force until; a date: to the end of that day, Beijing time')
    .addOption(new Option('--evidence <kind>', '书面 (written) or 线上 (online after real-name registration)').choices(['书面', '线上']).makeOptionMandatory())
    .option('--ref <text>', 'reference of the evidence (document number, online consent id)')
    .option('--json', 'JSON output')
    .action(async (opts) => withDb(async (db) => {
      if (Boolean(opts.institution) === Boolean(opts.platform)) throw new UsageError('须指定 --institution <name> 或 --platform 之一 / give exactly one of --institution <name> and --platform');
      const categories = String(opts.categories).split(/[,，、]/).filter(Boolean).map((c) => resolveCategory(c.trim()).id as CategoryId);
      const a = await grant(db, { actor: commandLineActor(), requestId: null, now: new Date() }, {
        enterpriseUscc: String(opts.uscc).trim(), categories: [...new Set(categories)], institution: opts.institution ?? null,
        grantedAt: opts.from ? dayOrInstant(opts.from) : new Date().toISOString(), expiresAt: dayOrInstant(opts.until),
        evidenceKind: opts.evidence as EvidenceKind, evidenceRef: opts.ref,
      }).catch((e) => {
        throw usage(e);
      });
      console.log(opts.json ? JSON.stringify(a) : line(a));
    }));

  authz.command('revoke').description('revoke an authorisation (from now)').argument('<id>')
    .action(async (id: string) => withDb(async (db) => {
      const a = await revoke(db, { actor: commandLineActor(), requestId: null, now: new Date() }, id).catch((e) => {
        throw usage(e);
      });
      console.log(line(a));
    }));

  authz.command('list').description('list authorisations, newest first').option('--uscc <code>', 'only this enterprise').option('--json', 'JSON output')
    .action(async (opts) => withDb(async (db) => {
      const rows = await listGrants(db, { actor: commandLineActor(), requestId: null, now: new Date() }, opts.uscc?.trim().toUpperCase());
      console.log(opts.json ? JSON.stringify(rows) : rows.map(line).join('\n'));
    }));

  authz.command('purge-lapsed').description('purge records collected under platform authorisations that ended more than the retention period ago (serve does it hourly)')
    .option('--retention-days <n>', 'days (default CREDIT_ETL_REVOKED_RETENTION_DAYS, 30)')
    .action(async (opts) => withDb(async (db) => {
      const days = opts.retentionDays === undefined ? config.service.revokedRetentionDays : Number(opts.retentionDays);
      if (!(days >= 0)) throw new UsageError('--retention-days 须为非负数 / must be a number >= 0');
      const purged = await purgeLapsed(db, { actor: commandLineActor(), requestId: null, now: new Date() }, days);
      for (const p of purged) console.log(`${p.enterprise_uscc}  ${p.category}  ${p.records} records, ${p.versions} earlier versions  (authorisation ended ${p.ended})`);
      if (!purged.length) console.log('nothing to purge');
    }));
}
