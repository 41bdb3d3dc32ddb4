// The committed card documentation is the one the card generates (run `npm run card-doc` after a card change).
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { shippedCard } from './card.ts';
import { cardMarkdown } from './card-doc.ts';

it('docs/cards/basic-v1.md is up to date with the card and documents every indicator and knock-out', () => {
  const card = shippedCard('basic-v1');
  const doc = readFileSync(new URL('../docs/cards/basic-v1.md', import.meta.url), 'utf8');
  expect(doc).toBe(cardMarkdown(card));
  for (const d of card.dimensions) for (const i of d.indicators) expect(doc).toContain(`\`${i.reason.code}\``);
  for (const k of card.knockouts) expect(doc).toContain(`\`${k.id}\``);
});
