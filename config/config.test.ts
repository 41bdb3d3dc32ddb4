import { expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

it('gives the service an upload limit of its own, smaller than what ingest reads from disk', () => {
  const c = loadConfig({ CREDIT_ETL_DATA_DIR: '/srv/credit' });
  expect(c.service.uploadBytes).toBe(200 * 1024 * 1024);
  expect(c.limits.maxFileBytes).toBeGreaterThan(c.service.uploadBytes);
  expect(loadConfig({ CREDIT_ETL_SERVICE_MAX_UPLOAD_MB: '50' }).service.uploadBytes).toBe(50 * 1024 * 1024);
  expect(() => loadConfig({ CREDIT_ETL_SERVICE_MAX_UPLOAD_MB: '-1' })).toThrow(ConfigError);
});

it('keeps uploads, the audit key file and checkpoints under the data folder, never a shared /tmp', () => {
  const c = loadConfig({ CREDIT_ETL_DATA_DIR: '/srv/credit' });
  expect(c.uploadDir).toBe('/srv/credit/uploads');
  expect(c.auditKeys.keyFile).toBe('/srv/credit/audit/key');
  expect(c.audit.checkpointDir).toBe('/srv/credit/audit/checkpoints');
  expect(loadConfig({ CREDIT_ETL_AUDIT_KEY: 'ab'.repeat(32), CREDIT_ETL_AUDIT_OLD_KEYS: 'cd'.repeat(32) }).auditKeys).toMatchObject({ key: 'ab'.repeat(32), oldKeys: ['cd'.repeat(32)] });
});
