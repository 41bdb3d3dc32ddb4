// The project's layering, checked from the import statements of the source files: which top-level
// folder may import which, and no cycle between folders. test/architecture.test.ts runs it on the
// repository and on planted violations.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  /** import('…'): loaded when the code runs, not when the module loads. */
  readonly dynamic: boolean;
}

/** Folders that are no part of the product: they may import anything, and nothing product imports them. */
const NOT_PRODUCT = new Set(['test', 'bench', 'testkit', 'node_modules', '.git', 'data', 'fixtures']);
// Migrations are the store's history: one layer with store/ (store/migrate.ts lists them, a view
// migration reads store/views.ts).
const LAYER_OF: Record<string, string> = { migrations: 'store' };

const isTestFile = (f: string) => /\.test\.ts$/.test(f);

function sourceFiles(root: string, dir = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
      out.push(...sourceFiles(root, rel));
    } else if (/\.(ts|mjs)$/.test(e.name)) {
      out.push(rel);
    }
  }
  return out;
}

const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|(?:^|[\s;])import\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** Every relative import of the files under root, as repository paths. */
export function scanImports(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(root)) {
    const text = readFileSync(path.join(root, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const to = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      edges.push({ from: file, to, dynamic: m[3] !== undefined });
    }
  }
  return edges;
}

export const folderOf = (file: string): string => {
  const top = file.includes('/') ? file.slice(0, file.indexOf('/')) : '.';
  return LAYER_OF[top] ?? top;
};

export const isProductFile = (file: string) => !NOT_PRODUCT.has(file.split('/')[0]) && !isTestFile(file);

/** What a folder may not import (by folder); `only` lists the one folders it may. */
const RULES: Record<string, { only?: readonly string[]; never?: readonly string[] }> = {
  lib: { only: [] },
  schemas: { only: ['lib'] },
  pipelines: { only: ['schemas', 'lib'] },
  // the alert rules, signatures and list reading: pure, below the store that writes events by them
  alerts: { only: ['schemas', 'lib', 'pipelines'] },
  connectors: { never: ['store', 'jobs', 'api', 'ingest', 'cli'] },
  store: { never: ['ingest', 'jobs', 'api', 'cli'] },
  ingest: { never: ['jobs', 'api', 'cli'] },
  jobs: { never: ['api', 'cli'] },
  api: { never: ['jobs', 'cli'] },
};

/** The demo commands may load the test kit lazily (the stand-in providers, the fixture generator). */
const LAZY_TESTKIT_ALLOWED = new Set(['cli/demo.ts', 'cli/commands/stand-ins.ts']);

export function layoutViolations(edges: readonly ImportEdge[]): string[] {
  const problems: string[] = [];
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!isProductFile(e.from)) continue;
    const from = folderOf(e.from);
    const to = folderOf(e.to);
    const top = e.to.split('/')[0];
    if (top === 'testkit' || top === 'fixtures') {
      if (!(e.dynamic && top === 'testkit' && LAZY_TESTKIT_ALLOWED.has(e.from))) problems.push(`${e.from} imports ${e.to}: no product file imports ${top}/`);
      continue;
    }
    if (from === to) continue;
    const rule = RULES[from];
    if (rule?.only && !rule.only.includes(to)) problems.push(`${e.from} imports ${e.to}: ${from}/ imports ${rule.only.length ? `only ${rule.only.join(', ')}` : 'nothing of the project'}`);
    if (rule?.never?.includes(to)) problems.push(`${e.from} imports ${e.to}: ${from}/ never imports ${to}/`);
    if (!graph.has(from)) graph.set(from, new Set());
    graph.get(from)!.add(to);
  }
  for (const cycle of folderCycles(graph)) problems.push(`folder cycle: ${cycle.join(' -> ')}`);
  return problems;
}

/** One cycle per strongly connected group of folders, as a path back to its start. */
function folderCycles(graph: Map<string, Set<string>>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const visit = (node: string, trail: string[]): void => {
    const at = trail.indexOf(node);
    if (at >= 0) {
      cycles.push([...trail.slice(at), node]);
      return;
    }
    if (done.has(node)) return;
    for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) visit(node, []);
  return cycles;
}
