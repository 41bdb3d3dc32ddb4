import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SourceConfigError } from './errors.ts';
import { CONNECTOR_KINDS, connectorFor } from './registry.ts';
import { DEMO_SOURCES_FILE, loadSources, parseSources, sourceById } from './sources.ts';
import { CATEGORY_IDS } from '../schemas/registry.ts';

const demo = JSON.parse(readFileSync(DEMO_SOURCES_FILE, 'utf8'));
const names = [...readFileSync(DEMO_SOURCES_FILE, 'utf8').matchAll(/"(?:tokenEnv|valueEnv|connectionEnv)": "([A-Z_]+)"|\$\{([A-Z_]+)\}/g)].map((m) => m[1] ?? m[2]);
const valueOf = (n: string) => (n === 'STANDIN_SOURCE_DB_URL' ? 'postgres://x@127.0.0.1/y' : n.endsWith('_URL') ? 'http://127.0.0.1:9' : n === 'STANDIN_DROP_DIR' ? '/tmp/drop' : 'secret');
const env = Object.fromEntries(names.map((n) => [n, valueOf(n)]));

function problems(content: unknown, e: Record<string, string | undefined> = env): readonly string[] {
  try {
    parseSources(content, e);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(SourceConfigError);
    return (err as SourceConfigError).problems;
  }
}

const withSource = (i: number, patch: Record<string, unknown>) => ({ ...demo, sources: demo.sources.map((s: object, j: number) => (j === i ? { ...s, ...patch } : s)) });

describe('sources file', () => {
  it('the demo file validates, covers the seven categories and every connector kind, and interpolates endpoints', () => {
    const sources = loadSources(DEMO_SOURCES_FILE, env);
    expect(new Set(sources.map((s) => s.category))).toEqual(new Set(CATEGORY_IDS));
    expect(new Set(sources.map((s) => s.kind))).toEqual(new Set(CONNECTOR_KINDS));
    expect(sourceById(sources, 'water-utility-api')).toMatchObject({ url: 'http://127.0.0.1:9/api/enterprises/{uscc}/bills' });
  });

  it('keeps secrets out of the configuration: only the names of environment variables', () => {
    const sources = loadSources(DEMO_SOURCES_FILE, env);
    expect(JSON.stringify(sources)).not.toContain('secret');
  });

  it('lists every problem at once, with the source it is about', () => {
    const bad = { sources: [
      { ...demo.sources[0], provider: '某某局' },
      { ...demo.sources[3], category: 'rnd' },
      { ...demo.sources[1], schedule: 'nightly', pagination: { style: 'cursor' } },
      { ...demo.sources[2], id: demo.sources[0].id, fieldMapping: { QZ_SY: 'reason_text' } },
      { id: 'x', kind: 'ftp' },
    ] };
    const p = problems(bad);
    expect(p).toEqual(expect.arrayContaining([
      expect.stringMatching(/^sources\[0\] \(licensing-platform-api\): provider "某某局" is not a unit/),
      expect.stringMatching(/^sources\[1\] \(water-utility-api\): provider 临沂市城市供水单位（示例） does not deliver rnd/),
      expect.stringMatching(/^sources\[2\] \(penalty-platform-api\)\/schedule must match pattern/),
      expect.stringMatching(/^sources\[3\] .*id "licensing-platform-api" is used twice/),
      expect.stringMatching(/^sources\[3\] .*fieldMapping QZ_SY -> reason_text: reason_text is not a field of enforcement/),
      expect.stringMatching(/^sources\[4\] \(x\): unknown kind "ftp"/),
    ]));
  });

  it('refuses unknown fields, and secrets or endpoints whose environment variable is not set', () => {
    expect(problems(withSource(0, { token: 'abc' }))).toEqual([expect.stringMatching(/must NOT have additional properties/)]);
    const p = problems(demo, { ...env, DEMO_WATER_API_KEY: undefined, STANDIN_GAS_URL: undefined });
    expect(p).toEqual(expect.arrayContaining([
      expect.stringMatching(/water-utility-api\): environment variable DEMO_WATER_API_KEY is not set/),
      expect.stringMatching(/gas-utility-api\): environment variable STANDIN_GAS_URL \(used as \$\{STANDIN_GAS_URL\}\) is not set/),
    ]));
  });

  it('an unknown kind or source id is a configuration error naming the known ones', () => {
    expect(() => connectorFor('ftp')).toThrow(/known: http-bulk, http-enterprise, source-db, drop-folder/);
    expect(() => sourceById(loadSources(DEMO_SOURCES_FILE, env), 'nope')).toThrow(expect.objectContaining({ code: 'E_SOURCE_CONFIG' }));
  });
});
