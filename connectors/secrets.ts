// Secrets never sit in the sources file: it names environment variables, read here when a
// connector needs the value, so the value is never part of a logged or stored configuration.
import { ProviderAuthError } from './errors.ts';
import type { ConnectorContext } from './types.ts';

export function secret(ctx: ConnectorContext, name: string, source: string): string {
  const value = (ctx.env ?? process.env)[name];
  if (!value) {
    throw new ProviderAuthError(`数据源 ${source} 所需的环境变量 ${name} 未设置`, `source ${source}: environment variable ${name} is not set`, { source, variable: name });
  }
  return value;
}
