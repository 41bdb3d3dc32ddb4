// Standard Webhooks signatures (v1: HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}`),
// with every current secret of the endpoint at once, so the receiver can rotate without a gap.
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new endpoint secret: 32 random bytes, shown as whsec_ + base64 (the specification asks for at least 24). */
export const newSecret = () => PREFIX + randomBytes(32).toString('base64');

export const isSecret = (s: string) => s.startsWith(PREFIX) && Buffer.from(s.slice(PREFIX.length), 'base64').length >= 24;

/** `v1,<base64>` per secret, space-separated. */
export function signature(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  return secrets.map((s) => `v1,${createHmac('sha256', Buffer.from(s.slice(PREFIX.length), 'base64')).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`).join(' ');
}

export function webhookHeaders(secrets: readonly string[], id: string, at: Date, body: string): Record<string, string> {
  const ts = Math.floor(at.getTime() / 1000);
  return {
    'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature(secrets, id, ts, body),
  };
}
