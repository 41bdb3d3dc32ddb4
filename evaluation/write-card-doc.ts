// npm run card-doc: writes docs/cards/<id>.md for every shipped card.
import { readdirSync, writeFileSync } from 'node:fs';
import { CARDS_DIR, shippedCard } from './card.ts';
import { cardMarkdown } from './card-doc.ts';

for (const f of readdirSync(CARDS_DIR).filter((x) => x.endsWith('.json'))) {
  const card = shippedCard(f.replace(/\.json$/, ''));
  const out = new URL(`../docs/cards/${card.id}.md`, import.meta.url);
  writeFileSync(out, cardMarkdown(card));
  console.log(`wrote docs/cards/${card.id}.md`);
}
