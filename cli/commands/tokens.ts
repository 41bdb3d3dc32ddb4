// credit-etl tokens create|list|revoke: API tokens of provider units, analyst institutions and admins.
import { Command, Option } from 'commander';
import { ApiError } from '../../api/errors.ts';
import { commandLineActor, createToken, listTokens, revokeToken } from '../../api/operations.ts';
import { ROLES, type Role } from '../../store/api-tokens.ts';
import { UsageError, withDb } from '../context.ts';

const usage = (e: unknown) => (e instanceof ApiError && e.statusCode < 500 ? new UsageError(`${e.messageZh} / ${e.messageEn}`) : e);

export function register(program: Command): void {
  const tokens = program.command('tokens').description('API tokens of the service (stored hashed; the plain token is shown once)');

  tokens.command('create').description('create a token bound to a unit and a role; prints the token once')
    .requiredOption('--unit <name>', 'provider unit (id, name or alias), lending institution, or admin name')
    .addOption(new Option('--role <role>', 'role').choices([...ROLES]).makeOptionMandatory())
    .option('--label <text>', 'a note on what the token is for')
    .option('--json', 'JSON output')
    .action(async (opts) => withDb(async (db) => {
      const ctx = { actor: commandLineActor(), requestId: null, now: new Date() };
      const { token, record } = await createToken(db, ctx, { role: opts.role as Role, unit: opts.unit, label: opts.label }).catch((e) => {
        throw usage(e);
      });
      if (opts.json) return console.log(JSON.stringify({ ...record, token }));
      console.log(token);
      console.error(`token ${record.id}: ${record.role} ${record.unit} (保存好此令牌，不会再次显示 / keep it safe, it is not shown again)`);
    }));

  tokens.command('list').description('list tokens (never their secrets)').option('--json', 'JSON output')
    .action(async (opts) => withDb(async (db) => {
      const rows = await listTokens(db, { actor: commandLineActor(), requestId: null, now: new Date() });
      if (opts.json) return console.log(JSON.stringify(rows));
      for (const t of rows) console.log(`${t.id}  ${t.role.padEnd(8)} ${t.unit}  ${t.created_at}${t.revoked_at ? `  revoked ${t.revoked_at}` : ''}${t.label ? `  ${t.label}` : ''}`);
    }));

  tokens.command('revoke').description('revoke a token').argument('<id>')
    .action(async (id: string) => withDb(async (db) => {
      await revokeToken(db, { actor: commandLineActor(), requestId: null, now: new Date() }, id).catch((e) => {
        throw usage(e);
      });
      console.log(`revoked ${id}`);
    }));
}
