// A source's credentials: a bearer token or an API-key header, the value from an environment variable.
import { secret } from '../secrets.ts';
import type { ConnectorContext } from '../types.ts';

export type HttpAuth =
  | { readonly type: 'bearer'; readonly tokenEnv: string }
  | { readonly type: 'header'; readonly header: string; readonly valueEnv: string };

const envName = { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$' } as const;
export const httpAuthSchema = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['type', 'tokenEnv'], properties: { type: { const: 'bearer' }, tokenEnv: envName } },
    { type: 'object', additionalProperties: false, required: ['type', 'header', 'valueEnv'],
      properties: { type: { const: 'header' }, header: { type: 'string', pattern: '^[A-Za-z0-9-]+$' }, valueEnv: envName } },
  ],
} as const;

export function authHeaders(ctx: ConnectorContext, auth: HttpAuth, source: string): Record<string, string> {
  return auth.type === 'bearer'
    ? { authorization: `Bearer ${secret(ctx, auth.tokenEnv, source)}` }
    : { [auth.header.toLowerCase()]: secret(ctx, auth.valueEnv, source) };
}
