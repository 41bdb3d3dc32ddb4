// Spaces the requests to one source evenly: a provider's published limit is per second, and bursts
// are what gets a platform's IP blocked.
import { setTimeout as sleep } from 'node:timers/promises';

export class RateLimiter {
  private nextAt = 0;
  constructor(private readonly requestsPerSecond: number) {}

  async take(signal: AbortSignal): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + 1000 / this.requestsPerSecond;
    if (at > now) await sleep(at - now, undefined, { signal });
  }
}
