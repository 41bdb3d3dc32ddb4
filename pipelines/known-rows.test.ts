import { describe, expect, it } from 'vitest';
import { keyHash, KnownRows, KnownSet } from './known-rows.ts';

describe('KnownSet', () => {
  it('finds what was put in, by both halves, and nothing else', () => {
    const set = KnownSet.withRoomFor(1000);
    const hashes = Array.from({ length: 1000 }, (_, i) => ({ hi: Math.imul(i, 0x9e3779b1), lo: Math.imul(i + 1, 0x85ebca6b) }));
    const slots = hashes.map((h) => set.insert(h.hi, h.lo));
    expect(new Set(slots).size).toBe(1000);
    hashes.forEach((h, i) => expect(set.find(h.hi, h.lo)).toBe(slots[i]));
    hashes.forEach((h, i) => expect([set.table[2 * slots[i]], set.table[2 * slots[i] + 1]]).toEqual([h.hi, h.lo]));
    // the same low half with another high half is not found
    expect(hashes.filter((h) => set.find(h.hi ^ 1, h.lo) >= 0)).toEqual([]);
    expect(set.insert(hashes[5].hi, hashes[5].lo)).toBe(slots[5]);
  });

  it('never holds the fingerprint 0, which marks an empty slot', () => {
    const set = KnownSet.withRoomFor(4);
    expect(set.insert(0, 0)).toBe(-1);
    expect(set.find(0, 0)).toBe(-1);
  });

  it('is sized at most three quarters full, and read the same through another view of its buffer', () => {
    const set = KnownSet.withRoomFor(12);
    expect(set.slots).toBe(16);
    expect(KnownSet.withRoomFor(13).slots).toBe(32);
    const slot = set.insert(-7, 123);
    expect(new KnownSet(set.buffer).find(-7, 123)).toBe(slot);
  });
});

describe('KnownRows', () => {
  it('counts each stored record met once, and knows which fingerprints were met', () => {
    const known = new KnownRows(KnownSet.withRoomFor(2));
    known.add({ hi: 1, lo: 16 }, keyHash('a'));
    known.add({ hi: 3, lo: 32 }, keyHash('b'));
    const a = known.set.find(1, 16);
    known.meet(a);
    known.meet(a);
    expect(known.distinct).toBe(1);
    expect(known.met({ hi: 1, lo: 16 })).toBe(true);
    expect(known.met({ hi: 3, lo: 32 })).toBe(false);
    expect(known.met({ hi: 5, lo: 48 })).toBe(false);
  });

  it('finds a row by its fingerprint whatever warnings the stored value counts, and gives them back', () => {
    const known = new KnownRows(KnownSet.withRoomFor(2));
    known.add({ hi: 9, lo: -64 | 5 }, keyHash('a'));
    const slot = known.set.find(9, -64);
    expect(slot).toBeGreaterThanOrEqual(0);
    expect(known.warningsOf(slot)).toBe(5);
    expect(known.kept(slot)).toEqual({ hi: 9, lo: -64 | 5 });
    known.meet(slot);
    expect(known.met({ hi: 9, lo: -64 | 5 })).toBe(true);
  });

  it('grows when more records come than it was sized for, keeping the key of each', () => {
    let known = new KnownRows(KnownSet.withRoomFor(2));
    // the low three bits count warnings: 8i keeps them clear, + i % 8 sets some
    for (let i = 1; i <= 100; i++) {
      if (!known.add({ hi: i, lo: -8 * i + (i % 8) }, keyHash(`k${i}`))) {
        known = known.grown();
        expect(known.add({ hi: i, lo: -8 * i + (i % 8) }, keyHash(`k${i}`))).toBe(true);
      }
    }
    expect(known.set.size).toBe(100);
    expect(known.set.slots).toBeGreaterThanOrEqual(100 / 0.75);
    for (let i = 1; i <= 100; i++) {
      const slot = known.set.find(i, -8 * i);
      expect(slot).toBeGreaterThanOrEqual(0);
      expect(known.warningsOf(slot)).toBe(i % 8);
      known.wrote(`k${i}`);
      expect(known.mayConflict(slot)).toBe(true);
    }
  });

  it('says a known row may conflict once a line of its key was written, whatever else was written', () => {
    const known = new KnownRows(KnownSet.withRoomFor(1));
    known.add({ hi: 9, lo: 8 }, keyHash('临市监处罚〔2024〕14号'));
    const slot = known.set.find(9, 8);
    // enough other keys to make the written set grow several times
    for (let i = 0; i < 5000; i++) known.wrote(`key ${i}`);
    expect(known.mayConflict(slot)).toBe(false);
    known.wrote('临市监处罚〔2024〕14号');
    expect(known.mayConflict(slot)).toBe(true);
  });

  it('hashes keys by their UTF-16 units: equal keys equal, one unit apart differ', () => {
    expect(keyHash('11371300001959504N|临市监处罚〔2024〕14号|91371326765330802K')).toBe(keyHash('11371300001959504N|临市监处罚〔2024〕14号|91371326765330802K'));
    expect(keyHash('a|b')).not.toBe(keyHash('a|c'));
  });
});
