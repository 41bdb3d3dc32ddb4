// Our signer against the specification's reference library (standardwebhooks), which knows nothing of ours.
import { Webhook } from 'standardwebhooks';
import { expect, it } from 'vitest';
import { isSecret, newSecret, signature, webhookHeaders } from './signing.ts';

it('signs id.timestamp.body as the reference implementation does, once per secret', () => {
  const [a, b] = [newSecret(), newSecret()];
  const at = new Date('2026-12-05T08:00:00Z');
  const body = '{"type":"penalty.created","data":{"subjectUscc":"91371326765330802K"}}';
  const ts = Math.floor(at.getTime() / 1000);
  expect(signature([a], 'evt_1', ts, body)).toBe(new Webhook(a).sign('evt_1', at, body));
  expect(signature([a, b], 'evt_1', ts, body)).toBe(`${new Webhook(a).sign('evt_1', at, body)} ${new Webhook(b).sign('evt_1', at, body)}`);
  expect(webhookHeaders([a], 'evt_1', at, body)).toEqual({
    'content-type': 'application/json', 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': new Webhook(a).sign('evt_1', at, body),
  });
});

it('new secrets are whsec_ + base64 of 32 random bytes, each different', () => {
  const s = newSecret();
  expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  expect(isSecret(s)).toBe(true);
  expect(isSecret('whsec_c2hvcnQ=')).toBe(false);
  expect(newSecret()).not.toBe(s);
});
