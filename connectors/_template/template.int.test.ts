// TEMPLATE: every connector runs the shared conformance suite against a real source with data.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe } from 'vitest';
import { createRng, syntheticRows } from '../../testkit/synthetic.ts';
import { connectorConformance } from '../../testkit/stand-ins/conformance.ts';
import { plainContext } from '../../testkit/stand-ins/run.ts';
import { jsonFile, type JsonFileConfig } from './index.ts';

const ROWS = 250;

describe('conformance: the template connector', () => {
  connectorConformance<JsonFileConfig>({
    connector: jsonFile,
    registered: false,
    rowKey: (r) => String(r.id),
    async open() {
      const dir = await mkdtemp(path.join(tmpdir(), 'credit-etl-template-'));
      const file = path.join(dir, 'records.json');
      const rows = syntheticRows('penalty', createRng('template'));
      // Seven records to a timestamp, so checkpoints fall inside groups that tie.
      const records = Array.from({ length: ROWS }, (_, i) => ({ id: i + 1, updated_at: `2025-07-01T00:${String(Math.floor(i / 7) % 60).padStart(2, '0')}:00Z`, ...rows.next().value }));
      await writeFile(file, JSON.stringify(records));
      const cfg: JsonFileConfig = { id: 'template-example', kind: 'template-json-file', category: 'penalty', provider: '市发展改革委', schedule: '0 0 3 * * *', file, idField: 'id', cursorField: 'updated_at' };
      return { cfg, ctx: plainContext({}), expected: ROWS, close: () => rm(dir, { recursive: true, force: true }) };
    },
  });
});
