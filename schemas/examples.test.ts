// Every example the schemas give (and so docs/data-contract.md, which is generated from them) passes the
// project's own normaliser and validator: a clerk who copies an example gets a loadable value.
import { describe, expect, it } from 'vitest';
import { normalizeRecord } from '../pipelines/stages/normalize.ts';
import { splitComposite } from '../pipelines/stages/composite.ts';
import { validateRecord } from '../pipelines/stages/validate.ts';
import { categories, type CategorySpec } from './registry.ts';

const exampleRecord = (spec: CategorySpec): Record<string, string> =>
  Object.fromEntries(spec.fields.filter((f) => f.example !== undefined).map((f) => [f.key, f.example!]));

function problems(spec: CategorySpec, raw: Record<string, string>) {
  const { fields } = normalizeRecord(spec, raw);
  return validateRecord(spec, fields, { line: 2, original: raw, headerOf: () => undefined }).map((i) => i.messageEn);
}

describe.each(categories().map((c) => [c.id, c] as const))('%s', (_id, spec) => {
  it('every field has an example, and the examples together are a valid record', () => {
    expect(spec.fields.filter((f) => f.example === undefined && f.required).map((f) => f.key)).toEqual([]);
    expect(problems(spec, exampleRecord(spec))).toEqual([]);
  });

  it('each composite example splits into values that pass', () => {
    for (const c of spec.composites) {
      for (const ex of c.examples) {
        const split = splitComposite(spec, c, ex);
        expect(split.ok, `${c.labelZh}: ${ex}`).toBe(true);
        const raw = { ...exampleRecord(spec) };
        for (const k of c.into) delete raw[k];
        expect(problems(spec, { ...raw, ...(split.ok ? split.cells : {}) }), `${c.labelZh}: ${ex}`).toEqual([]);
      }
    }
  });
});
