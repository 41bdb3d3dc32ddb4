// The rows a delivery can leave out: the fingerprints (pipelines/stages/source-hash.ts) of the records
// the deliverer holds in the category, taken when the batch starts under the category's write lock,
// so nothing but the batch itself changes them meanwhile. A parse thread that finds a row's
// fingerprint here sends the row on unchecked, as `known`; the main thread counts it unchanged and
// writes nothing, unless an earlier line of the same file wrote the record's key: then the later
// line must win, and it is checked and loaded like any other (mayConflict).
import { splitKept, type SourceHash } from './stages/source-hash.ts';

/**
 * The fingerprints as an open-addressing table in shared memory, so that parse threads probe it
 * without a copy: slot i holds (hi, lo) at 2i, 2i + 1; (0, 0) marks an empty slot, so a fingerprint
 * of exactly 0 is never found (its row takes the full path).
 */
export class KnownSet {
  readonly table: Int32Array;
  private readonly mask: number;
  /** Fingerprints held. */
  size = 0;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.table = new Int32Array(buffer);
    this.mask = this.table.length / 2 - 1;
  }

  /** Whether one more fingerprint keeps the table at most three quarters full. */
  get hasRoom(): boolean {
    return this.size + 1 <= 0.75 * this.slots;
  }

  /** Room for n fingerprints with the table at most three quarters full. */
  static withRoomFor(n: number): KnownSet {
    let slots = 16;
    while (slots * 0.75 < n) slots *= 2;
    return new KnownSet(new SharedArrayBuffer(slots * 8));
  }

  get slots(): number {
    return this.mask + 1;
  }

  /** The slot holding the fingerprint, or -1. Probing starts from hi: lo's low bits are always clear (source-hash.ts). */
  find(hi: number, lo: number): number {
    const t = this.table;
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const h = t[2 * i];
      const l = t[2 * i + 1];
      if (h === hi && l === lo) return hi === 0 && lo === 0 ? -1 : i;
      if (h === 0 && l === 0) return -1;
    }
  }

  /** Puts the fingerprint in (once) and returns its slot; -1 for the fingerprint 0. */
  insert(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) return -1;
    const t = this.table;
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      if (t[2 * i] === hi && t[2 * i + 1] === lo) return i;
      if (t[2 * i] === 0 && t[2 * i + 1] === 0) {
        t[2 * i] = hi;
        t[2 * i + 1] = lo;
        this.size++;
        return i;
      }
    }
  }
}

/** A 32-bit hash of a natural key (FNV-1a over its UTF-16 units): equal keys, equal hashes. */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** A growing set of 32-bit integers, open addressing over an Int32Array (0 is kept apart). */
class IntSet {
  private table = new Int32Array(1024);
  private size = 0;
  private zero = false;

  add(v: number): void {
    if (v === 0) {
      this.zero = true;
      return;
    }
    if (this.place(this.table, v)) this.size++;
    if (this.size * 2 > this.table.length) {
      const old = this.table;
      this.table = new Int32Array(old.length * 2);
      for (const x of old) if (x !== 0) this.place(this.table, x);
    }
  }

  has(v: number): boolean {
    if (v === 0) return this.zero;
    const t = this.table;
    const mask = t.length - 1;
    for (let i = Math.imul(v, 0x9e3779b1) & mask; ; i = (i + 1) & mask) {
      if (t[i] === v) return true;
      if (t[i] === 0) return false;
    }
  }

  /** true when v was not there yet */
  private place(t: Int32Array, v: number): boolean {
    const mask = t.length - 1;
    for (let i = Math.imul(v, 0x9e3779b1) & mask; ; i = (i + 1) & mask) {
      if (t[i] === v) return false;
      if (t[i] === 0) {
        t[i] = v;
        return true;
      }
    }
  }
}

/** The main thread's side: the key of each slot's record, the slots the batch met, and the keys it wrote. */
export class KnownRows {
  private readonly keys: Int32Array;
  /** The warnings each slot's row gave when it was checked. */
  private readonly warnings: Uint8Array;
  /** A bit per slot. */
  private readonly metSlots: Uint8Array;
  private readonly written = new IntSet();
  /** Distinct stored records met by known rows. */
  distinct = 0;

  constructor(readonly set: KnownSet) {
    this.keys = new Int32Array(set.slots);
    this.warnings = new Uint8Array(set.slots);
    this.metSlots = new Uint8Array(Math.ceil(set.slots / 8));
  }

  /** A stored record's source_hash and the keyHash of its natural key; false when the table has no room left (see grown). */
  add(kept: SourceHash, key: number): boolean {
    if (!this.set.hasRoom) return false;
    const { fingerprint, warnings } = splitKept(kept);
    const slot = this.set.insert(fingerprint.hi, fingerprint.lo);
    if (slot >= 0) {
      this.keys[slot] = key;
      this.warnings[slot] = warnings;
    }
    return true;
  }

  /** The same records in a table twice as large: when more were found than the table was sized for. */
  grown(): KnownRows {
    const next = new KnownRows(KnownSet.withRoomFor(2 * this.set.size));
    const t = this.set.table;
    for (let i = 0; i < this.set.slots; i++) if (t[2 * i] !== 0 || t[2 * i + 1] !== 0) next.add(this.kept(i), this.keys[i]);
    return next;
  }

  /** A record went to the store from this file (checked in full): a known row of its key after it must not be left out. */
  wrote(naturalKey: string): void {
    this.written.add(keyHash(naturalKey));
  }

  /** An earlier line of the file may have written this slot's record (a 32-bit key hash: rarely a false alarm, never a miss). */
  mayConflict(slot: number): boolean {
    return this.written.has(this.keys[slot]);
  }

  /** A known row left out: its record counts once however often the file repeats it. */
  meet(slot: number): void {
    const bit = 1 << (slot & 7);
    if ((this.metSlots[slot >> 3] & bit) === 0) {
      this.metSlots[slot >> 3] |= bit;
      this.distinct++;
    }
  }

  /** The source_hash of the slot's record, as stored. */
  kept(slot: number): SourceHash {
    return { hi: this.set.table[2 * slot], lo: this.set.table[2 * slot + 1] | this.warnings[slot] };
  }

  /** The warnings the slot's row gave when it was checked, which a delivery that leaves it out still counts. */
  warningsOf(slot: number): number {
    return this.warnings[slot];
  }

  /** Whether a known row of the file already counted the record with this source_hash. */
  met(kept: SourceHash): boolean {
    const { fingerprint: h } = splitKept(kept);
    const slot = this.set.find(h.hi, h.lo);
    return slot >= 0 && (this.metSlots[slot >> 3] & (1 << (slot & 7))) !== 0;
  }
}
