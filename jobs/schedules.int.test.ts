// The nightly schedules come from the sources file: one job scheduler per cron pattern, in
// Asia/Shanghai; installing twice changes nothing, and a pattern no source uses any more is removed.
import { Queue } from 'bullmq';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadCollectionConfig } from '../config/config.ts';
import { deletePrefix, REDIS_URL, sequenceSource, testPrefix } from '../test/helpers/collect.ts';
import { connectQueues, type QueueConnection } from './connection.ts';
import { QUEUE, type JobPayloads } from './queues.ts';
import { installSchedules, TIME_ZONE } from './schedules.ts';

const cfg = loadCollectionConfig({ REDIS_URL, CREDIT_ETL_QUEUE_PREFIX: testPrefix() });
let conn: QueueConnection;
let trigger: Queue<JobPayloads[typeof QUEUE.trigger]>;

beforeAll(() => {
  conn = connectQueues(cfg);
  trigger = new Queue(QUEUE.trigger, { connection: conn.connection, prefix: conn.prefix });
});
afterAll(async () => {
  await trigger?.close();
  await conn?.connection.quit();
  await deletePrefix(REDIS_URL, cfg.queuePrefix);
});

const summary = async () => (await trigger.getJobSchedulers()).map((s) => ({ id: s.key, pattern: s.pattern, tz: s.tz, sources: s.template?.data?.sourceIds })).sort((a, b) => a.id.localeCompare(b.id));

it('installs one scheduler per pattern, idempotently, and removes stale ones', async () => {
  const sources = [
    sequenceSource('a', 0, 1, { schedule: '0 30 1 * * *' }), sequenceSource('b', 0, 1, { schedule: '0 30 1 * * *' }), sequenceSource('c', 0, 1, { schedule: '0 0 2 * * *' }),
  ];
  await installSchedules(trigger, sources);
  await installSchedules(trigger, sources);
  expect(await summary()).toEqual([
    { id: 'nightly 0_0_2_*_*_*', pattern: '0 0 2 * * *', tz: TIME_ZONE, sources: ['c'] },
    { id: 'nightly 0_30_1_*_*_*', pattern: '0 30 1 * * *', tz: TIME_ZONE, sources: ['a', 'b'] },
  ]);
  // The next nightly job waits, delayed until 01:30 in Shanghai (17:30 UTC).
  const next = (await trigger.getJobs(['delayed'])).map((j) => new Date(j.timestamp + j.delay).toISOString().slice(11, 16)).sort();
  expect(next).toEqual(['17:30', '18:00']);

  const { removed } = await installSchedules(trigger, sources.slice(0, 2));
  expect(removed).toEqual(['nightly 0_0_2_*_*_*']);
  expect((await summary()).map((s) => s.id)).toEqual(['nightly 0_30_1_*_*_*']);
});
