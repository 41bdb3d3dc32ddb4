import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ISSUES } from '../pipelines/issues.ts';

const root = path.resolve(import.meta.dirname, '..');
const errorsDoc = readFileSync(path.join(root, 'docs/errors.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (n === 'node_modules' || n.startsWith('.') || n === 'data' || n === 'tmp') return [];
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

it('docs/errors.md lists every issue code of the catalogue', () => {
  for (const code of Object.keys(ISSUES)) expect(errorsDoc, code).toContain(`\`${code}\``);
});

it('docs/errors.md lists every error class code in the source', () => {
  const codes = sources(root).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/readonly code = '(E_[A-Z_]+)'/g)].map((m) => m[1]));
  expect(codes.length).toBeGreaterThan(0);
  for (const code of codes) expect(errorsDoc, code).toContain(`\`${code}\``);
});
