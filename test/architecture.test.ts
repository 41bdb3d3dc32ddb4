// The layout stays true: lower layers never import higher ones, no product file reaches into the
// test kit, no two folders import each other (test/helpers/layout.ts has the rules).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { layoutViolations, scanImports } from './helpers/layout.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the repository layout', () => {
  it('has no forbidden import direction and no folder cycle', () => {
    expect(layoutViolations(scanImports(ROOT))).toEqual([]);
  });

  it('sees the imports it checks (the scan is not empty)', () => {
    const edges = scanImports(ROOT);
    expect(edges.some((e) => e.from === 'jobs/run-source.ts' && e.to === 'ingest/ingest-file.ts')).toBe(true);
    expect(edges.some((e) => e.from === 'cli/demo.ts' && e.to.startsWith('testkit/') && e.dynamic)).toBe(true);
  });
});

describe('planted violations', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tree = (files: Record<string, string>) => {
    const root = mkdtempSync(path.join(tmpdir(), 'layout-'));
    dirs.push(root);
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), text);
    }
    return layoutViolations(scanImports(root));
  };

  it('a clean tree passes', () => {
    expect(tree({ 'lib/a.ts': 'export const a = 1;\n', 'pipelines/p.ts': "import { a } from '../lib/a.ts';\n" })).toEqual([]);
  });

  it.each([
    ['lib imports the project', { 'lib/a.ts': "import { s } from '../schemas/registry.ts';\n", 'schemas/registry.ts': '' }, /lib\/ imports nothing/],
    ['pipelines imports the store', { 'pipelines/p.ts': "import type { Db } from '../store/db.ts';\n", 'store/db.ts': '' }, /pipelines\/ imports only schemas, lib/],
    ['connectors import jobs', { 'connectors/c.ts': "export { x } from '../jobs/x.ts';\n", 'jobs/x.ts': '' }, /connectors\/ never imports jobs/],
    ['jobs import api', { 'jobs/j.ts': "import '../api/app.ts';\n", 'api/app.ts': '' }, /jobs\/ never imports api/],
    ['a product file imports the test kit', { 'api/a.ts': "import { pool } from '../testkit/synthetic.ts';\n" }, /no product file imports testkit/],
    ['a product file imports fixtures', { 'cli/c.ts': "import { x } from '../fixtures/x.ts';\n" }, /no product file imports fixtures/],
    ['a lazy test-kit import outside the demo', { 'cli/main.ts': "await import('../testkit/stand-ins/stand-ins.ts');\n" }, /no product file imports testkit/],
    ['two folders import each other', { 'cli/a.ts': "import '../ingest/b.ts';\n", 'ingest/b.ts': "import '../cli/a.ts';\n" }, /folder cycle: cli -> ingest -> cli|folder cycle: ingest -> cli -> ingest/],
  ])('%s fails', (_name, files, message) => {
    const problems = tree(files);
    expect(problems.join('\n')).toMatch(message);
  });

  it('the demo command may load the test kit lazily, never statically', () => {
    expect(tree({ 'cli/demo.ts': "const { x } = await import('../testkit/x.ts');\n" })).toEqual([]);
    expect(tree({ 'cli/demo.ts': "import { x } from '../testkit/x.ts';\n" })).toHaveLength(1);
  });

  it('commented-out imports do not count', () => {
    expect(tree({ 'lib/a.ts': "// import { s } from '../schemas/registry.ts';\n/* import '../store/db.ts'; */\n" })).toEqual([]);
  });
});
