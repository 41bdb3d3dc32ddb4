// tokens, authz and audit from the command line, on real PostgreSQL: what they print, how they fail,
// and the access-log trail they leave.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findApiToken } from '../../store/api-tokens.ts';
import { CLI, runCli } from '../../test/helpers/cli.ts';
import { createTestDb, type TestDb } from '../../test/helpers/pg.ts';

let t: TestDb;
let env: Record<string, string>;
let dataDir: string;
beforeAll(async () => {
  t = await createTestDb('cli_admin');
  dataDir = mkdtempSync(path.join(tmpdir(), 'credit-etl-cli-admin-'));
  env = { DATABASE_URL: t.url, CREDIT_ETL_DATA_DIR: dataDir };
});
afterAll(async () => {
  await t?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('creates a provider token bound to the unit\'s id, stores only its hash, and refuses an unknown unit', async () => {
  const r = await runCli(['tokens', 'create', '--unit', '市发改委', '--role', 'provider', '--json'], env);
  expect(r.code).toBe(0);
  const created = JSON.parse(r.stdout);
  expect(created).toMatchObject({ role: 'provider', unit: 'ndrc', token: expect.stringMatching(/^cetl_/) });
  expect((await findApiToken(t.db, created.token))?.id).toBe(created.id);
  expect(JSON.stringify(await t.db.knex('api_tokens').select())).not.toContain(created.token);

  const bad = await runCli(['tokens', 'create', '--unit', '某某局', '--role', 'provider'], env);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('未知的数据提供单位');
  expect((await runCli(['tokens', 'create', '--unit', 'x', '--role', 'auditor'], env)).code).toBe(2);

  expect((await runCli(['tokens', 'revoke', created.id], env)).code).toBe(0);
  expect(await findApiToken(t.db, created.token)).toBeUndefined();
});

it('registers an institution once whatever its spacing, and refuses a grant to one not registered', async () => {
  expect((await runCli(['authz', 'grant', '--uscc', '91371326765330802K', '--categories', 'water', '--institution', '临沂某银行',
    '--until', '2027-01-01', '--evidence', '书面'], env)).stderr).toContain('未登记');
  expect((await runCli(['institutions', 'add', ' 临沂某银行 '], env)).code).toBe(0);
  expect((await runCli(['institutions', 'add', '临沂某银行'], env)).stdout).toContain('already registered');
});

it('grants, lists and revokes an authorisation, and logs every operation as the operating-system user', async () => {
  const g = await runCli(['authz', 'grant', '--uscc', '91371326765330802k', '--categories', 'water,燃气费', '--institution', '临沂某银行',
    '--from', '2026-01-01T00:00:00Z', '--until', '2027-01-01T00:00:00Z', '--evidence', '书面', '--ref', '授权书-001', '--json'], env);
  expect(g.code).toBe(0);
  const a = JSON.parse(g.stdout);
  expect(a).toMatchObject({ enterprise_uscc: '91371326765330802K', categories: ['water', 'gas'], institution: '临沂某银行', evidence_ref: '授权书-001' });
  expect((await runCli(['authz', 'grant', '--uscc', '91371326765330802K', '--categories', 'water', '--until', '2027-01-01', '--evidence', '书面'], env)).code).toBe(2);

  const listed = JSON.parse((await runCli(['authz', 'list', '--uscc', '91371326765330802K', '--json'], env)).stdout);
  expect(listed.map((x: { id: string }) => x.id)).toEqual([a.id]);
  const rv = await runCli(['authz', 'revoke', a.id], env);
  expect(rv.code).toBe(0);
  expect(rv.stdout).toContain('revoked');

  const log = await t.db.knex('access_log').orderBy('seq');
  expect(log.map((e) => e.action)).toEqual(['token.create', 'token.revoke', 'institution.register', 'authorisation.grant', 'authorisation.list', 'authorisation.revoke']);
  expect(new Set(log.map((e) => e.actor_unit))).toEqual(new Set([`cli:${userInfo().username}`]));
  expect(log[3].enterprises).toEqual(['91371326765330802K']);
  const verify = await runCli(['audit', 'verify'], env);
  expect(verify.code).toBe(0);
  expect(verify.stdout).toContain('6 entries');
});

it('`serve` listens, answers, keeps uploads in the data folder (mode 0700), and stops cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /(http:\/\/\S+\/upload)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
  });
  const page = await fetch(url);
  expect(page.status).toBe(200);
  // Uploads wait in the data folder, readable by the service's user alone.
  expect(statSync(path.join(dataDir, 'uploads')).mode & 0o777).toBe(0o700);
  expect(await page.text()).toContain('信用信息报送');
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  expect((await exited)[0]).toBe(0);
});
