// watch and alerts from the command line, on real PostgreSQL: a borrower list imported (and refused
// whole when a line is wrong), pause and resume, an endpoint with its secret, and the operators' figures.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { relayEvents } from '../../store/alerts.ts';
import { registerInstitution } from '../../store/institutions.ts';
import { deliver, penalty, USCCS } from '../../test/helpers/alerts.ts';
import { runCli } from '../../test/helpers/cli.ts';
import { createTestDb, type TestDb } from '../../test/helpers/pg.ts';

let t: TestDb;
let env: Record<string, string>;
let dir: string;
beforeAll(async () => {
  t = await createTestDb('cli_alerts');
  env = { DATABASE_URL: t.url };
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-cli-alerts-'));
  await registerInstitution(t.db, '临沂银行');
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

it('imports a GBK borrower list, refuses a list with a bad line whole, pauses and lists', async () => {
  const bad = path.join(dir, 'bad.csv');
  writeFileSync(bad, iconv.encode(`统一社会信用代码,贷款编号\r\n${USCCS[0]},JK-1\r\n91371300000000000X,JK-2\r\n`, 'gbk'));
  const refused = await runCli(['watch', 'import', bad, '--institution', '临沂银行'], env);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('第3行 line 3 [统一社会信用代码] "91371300000000000X"');

  const good = path.join(dir, 'good.csv');
  writeFileSync(good, iconv.encode(`统一社会信用代码,贷款编号,事件类型\r\n${USCCS[0]},JK-1,\r\n${USCCS[1]},JK-2,penalty.created、licence.revoked\r\n`, 'gbk'));
  const r = await runCli(['watch', 'import', good, '--institution', '临沂银行'], env);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('imported 2 watches');
  const list = JSON.parse((await runCli(['watch', 'list', '--institution', '临沂银行', '--json'], env)).stdout);
  expect(list.map((w: any) => [w.subject_uscc, w.loan_ref, w.event_types])).toEqual([[USCCS[0], 'JK-1', []], [USCCS[1], 'JK-2', ['penalty.created', 'licence.revoked']]]);
  const paused = await runCli(['watch', 'pause', list[0].id, '--institution', '临沂银行'], env);
  expect(paused.stdout).toContain('paused');
  const unknown = await runCli(['watch', 'pause', list[0].id, '--institution', '别的银行'], env);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain('unknown institution');
  await registerInstitution(t.db, '别的银行');
  const notTheirs = await runCli(['watch', 'pause', list[0].id, '--institution', '别的银行'], env);
  expect(notTheirs.code).toBe(2);
  expect(notTheirs.stderr).toContain('has no watch');
});

it('adds an endpoint with a whsec_ secret and shows the outbox and deliveries in alerts stats', async () => {
  const ep = await runCli(['alerts', 'endpoint', 'add', '--institution', '临沂银行', '--url', 'http://127.0.0.1:9/hook'], env);
  expect(ep.code).toBe(0);
  expect(ep.stdout).toMatch(/secret: whsec_[A-Za-z0-9+/]{43}=/);
  await deliver(t.db, 'penalty', [penalty(9000, USCCS[19])]);
  await deliver(t.db, 'penalty', [penalty(1, USCCS[1]), penalty(2, USCCS[2])]);
  let s = JSON.parse((await runCli(['alerts', 'stats', '--json'], env)).stdout);
  expect(s).toMatchObject({ backlog: 3, held: 0 });
  await relayEvents(t.db, new Date(), 60_000);
  s = JSON.parse((await runCli(['alerts', 'stats', '--json'], env)).stdout);
  expect(s.backlog).toBe(0);
  expect(s.endpoints).toEqual([expect.objectContaining({ institution: '临沂银行', states: { pending: 1 } })]);
  const text = await runCli(['alerts', 'stats'], env);
  expect(text.stdout).toContain('outbox backlog (unrelayed): 0');
  const digest = JSON.parse((await runCli(['alerts', 'digest', '--institution', '临沂银行', '--json'], env)).stdout);
  expect(digest).toMatchObject({ total: 1, withheld: 0, byType: { 'penalty.created': 1 }, bySeverity: { high: 1 }, enterprises: [{ uscc: USCCS[1], events: 1, high: 1 }] });
});
