// The views a database has are the ones its last views migration built. When the schemas or
// store/views.ts would build different views, the committed fingerprint no longer matches and this
// test says what to do: add a migration (in your range) that calls rebuildSchemaViews and exports the
// new fingerprint, so existing databases get the change too, not only fresh ones.
import { expect, it } from 'vitest';
import { MIGRATIONS } from './migrate.ts';
import { viewsFingerprint } from './views.ts';

it('the latest views migration recorded the fingerprint of the views the schemas build now', () => {
  const latest = MIGRATIONS.filter(([, m]) => m.viewsFingerprint !== undefined).at(-1);
  expect(latest, 'a migration exporting viewsFingerprint').toBeDefined();
  const [name, m] = latest!;
  expect(m.viewsFingerprint, `views changed since ${name}: add a migration that calls rebuildSchemaViews and exports viewsFingerprint = '${viewsFingerprint()}'`)
    .toBe(viewsFingerprint());
});
