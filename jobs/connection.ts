// Redis connections for the collection queues. BullMQ needs ioredis with maxRetriesPerRequest null
// (its blocking commands must wait out a Redis restart instead of failing), and every queue of one
// installation, or of one test run, shares one key prefix.
import { Redis } from 'ioredis';
import type { CollectionConfig } from '../config/config.ts';

export class RedisNotConfiguredError extends Error {
  readonly code = 'E_REDIS_NOT_CONFIGURED';
  readonly retryable = false;
}

export interface QueueConnection {
  readonly connection: Redis;
  readonly prefix: string;
}

export function connectQueues(cfg: CollectionConfig, opts: { enableOfflineQueue?: boolean } = {}): QueueConnection {
  if (!cfg.redisUrl) throw new RedisNotConfiguredError('REDIS_URL is not set');
  return { connection: new Redis(cfg.redisUrl, { maxRetriesPerRequest: null, ...opts }), prefix: cfg.queuePrefix };
}

/**
 * For a service that only adds jobs while someone waits on the answer (an upload): with Redis down,
 * an add fails at once instead of waiting in ioredis' offline queue for a reconnection, so the clerk
 * hears "try again later" rather than watching the upload hang (BullMQ: failing fast when Redis is down).
 */
export function connectProducer(cfg: CollectionConfig): QueueConnection {
  return connectQueues(cfg, { enableOfflineQueue: false });
}
