// The sources file: every configured source as data, validated at start-up against the JSON Schema
// of its kind, with every problem reported at once. Strings may name environment variables as
// ${NAME} (endpoints differ per deployment); secrets are never in the file, only the names of the
// variables that hold them (fields ending in "Env"), and those must be set.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { category, findProviderUnit } from '../schemas/registry.ts';
import { SourceConfigError } from './errors.ts';
import { CONNECTORS, CONNECTOR_KINDS, type SourceConfig } from './registry.ts';

export const DEMO_SOURCES_FILE = fileURLToPath(new URL('./sources.demo.json', import.meta.url));

type Env = Readonly<Record<string, string | undefined>>;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// Compiled on first use, not at import: every CLI command loads this module (through jobs/catalog.ts),
// and compiling the kinds' schemas costs a few hundred milliseconds that only collection needs.
let validators: { readonly file: ValidateFunction; readonly kinds: ReadonlyMap<string, ValidateFunction> } | undefined;
function compiled(): NonNullable<typeof validators> {
  if (validators) return validators;
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  const file = ajv.compile({
    type: 'object',
    required: ['sources'],
    additionalProperties: false,
    properties: { $schema: { type: 'string' }, $comment: { type: 'string' }, sources: { type: 'array', items: { type: 'object', required: ['id', 'kind'] } } },
  });
  return (validators = { file, kinds: new Map(CONNECTORS.map((c) => [c.kind, ajv.compile(c.configSchema)])) });
}

function interpolate(v: unknown, env: Env, missing: Set<string>): unknown {
  if (typeof v === 'string') return v.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_, n: string) => env[n] ?? (missing.add(n), ''));
  if (Array.isArray(v)) return v.map((x) => interpolate(x, env, missing));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolate(x, env, missing)]));
  return v;
}

/** Names of environment variables a source's configuration refers to (fields ending in "Env", at any depth). */
function envNames(v: unknown): string[] {
  if (!v || typeof v !== 'object') return [];
  return Object.entries(v).flatMap(([k, x]) => (k.endsWith('Env') && typeof x === 'string' ? [x] : envNames(x)));
}

function problemsOf(s: SourceConfig): string[] {
  const out: string[] = [];
  const unit = findProviderUnit(s.provider);
  if (!unit) out.push(`provider "${s.provider}" is not a unit of schemas/provider-units.json`);
  else if (!unit.categories.includes(s.category)) out.push(`provider ${unit.name} does not deliver ${s.category}`);
  const keys = category(s.category).field;
  for (const [from, to] of Object.entries(s.fieldMapping ?? {})) {
    if (!keys.has(to)) out.push(`fieldMapping ${from} -> ${to}: ${to} is not a field of ${s.category}`);
  }
  return out;
}

/** Validates parsed sources-file content; throws SourceConfigError listing every problem. */
export function parseSources(content: unknown, env: Env): readonly SourceConfig[] {
  const { file: fileSchema, kinds: kindSchemas } = compiled();
  if (!fileSchema(content)) throw new SourceConfigError(fileSchema.errors!.map((e) => `${e.instancePath || '/'} ${e.message}`));
  const problems: string[] = [];
  const ids = new Set<string>();
  const sources: SourceConfig[] = [];
  for (const [i, raw] of (content as { sources: Record<string, unknown>[] }).sources.entries()) {
    const where = `sources[${i}] (${String(raw.id)})`;
    const missing = new Set<string>();
    const s = interpolate(raw, env, missing) as SourceConfig;
    for (const n of missing) problems.push(`${where}: environment variable ${n} (used as \${${n}}) is not set`);
    const validate = kindSchemas.get(s.kind);
    if (!validate) {
      problems.push(`${where}: unknown kind "${s.kind}" (known: ${CONNECTOR_KINDS.join(', ')})`);
      continue;
    }
    if (!validate(s)) {
      problems.push(...validate.errors!.map((e) => `${where}${e.instancePath} ${e.message}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`));
      continue;
    }
    if (ids.has(s.id)) problems.push(`${where}: id "${s.id}" is used twice`);
    ids.add(s.id);
    for (const n of envNames(s)) if (!env[n]) problems.push(`${where}: environment variable ${n} is not set`);
    problems.push(...problemsOf(s).map((p) => `${where}: ${p}`));
    sources.push(Object.freeze(s));
  }
  if (problems.length) throw new SourceConfigError(problems);
  return sources;
}

export function loadSources(file: string, env: Env): readonly SourceConfig[] {
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SourceConfigError([`${file}: ${(e as Error).message}`]);
  }
  return parseSources(content, env);
}

/** The source of an id, or a configuration error naming the known ones. */
export function sourceById(sources: readonly SourceConfig[], id: string): SourceConfig {
  const s = sources.find((x) => x.id === id);
  if (!s) throw new SourceConfigError([`unknown source "${id}" (known: ${sources.map((x) => x.id).join(', ')})`]);
  return s;
}
