// GET /admin/audit/verify checks the chain against the latest checkpoint in the service's checkpoint folder.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { writeCheckpoint } from '../store/audit-checkpoint.ts';
import { createApiHarness, type ApiHarness } from '../test/helpers/api.ts';

let h: ApiHarness;
let dir: string;
let admin: { authorization: string };
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'credit-etl-api-audit-'));
  h = await createApiHarness('api_audit', { checkpointDir: dir });
  admin = await h.token('admin', '平台运营');
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const verify = async () => (await h.app.inject({ url: '/admin/audit/verify', headers: admin })).json();

it('verifies against the latest checkpoint, sees entries cut off after it, and reports a forged checkpoint', async () => {
  for (let i = 0; i < 3; i++) await h.app.inject({ url: '/admin/tokens', headers: admin });
  const { checkpoint } = await writeCheckpoint(h.t.db, { dir });
  expect(await verify()).toMatchObject({ ok: true, checkpoint: { seq: checkpoint.seq, hash: checkpoint.hash } });

  await h.t.db.knex.transaction(async (trx) => {
    await trx.raw("SET LOCAL session_replication_role = 'replica'");
    await trx.raw('DELETE FROM access_log WHERE seq >= ?', [checkpoint.seq]);
    const last = await trx('access_log').orderBy('seq', 'desc').first();
    await trx('access_log_head').update({ seq: last.seq, hash: last.hash });
  });
  const cut = await verify();
  expect(cut.ok).toBe(false);
  expect(cut.problems.map((p: { kind: string }) => p.kind)).toContain('checkpoint');

  const file = path.join(dir, 'latest.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), seq: 1 }));
  const forged = await verify();
  expect(forged.ok).toBe(false);
  expect(forged.problems.at(-1)).toMatchObject({ kind: 'checkpoint', messageEn: expect.stringContaining('signature') });
});
