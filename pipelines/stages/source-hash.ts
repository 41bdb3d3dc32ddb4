// A delivered row's fingerprint: its cells exactly as delivered, under what decides how they are
// read (the category's schema and code lists, the file's header, the deliverer). checkRow is a
// function of nothing else, so two rows with one fingerprint become the same record: a row whose
// fingerprint a stored record carries is that record unchanged, and a re-delivery can leave it out
// before checking it (pipelines/known-rows.ts). Checking is also what gives a row its warnings, so
// the record keeps their number with the fingerprint, and a delivery that leaves the row out counts them.
//
// MD5, cut to 64 bits, is enough here: what a collision could do is leave one changed row of the
// deliverer's own out of its own delivery, which needs 2^-64 luck, or a deliverer working against
// itself. It runs on every accepted row, where SHA-256 would cost twice as much.
import { hash } from 'node:crypto';
import { commonSchema, type CategorySpec, type ProviderUnit } from '../../schemas/registry.ts';
import type { HeaderMap } from '../types.ts';

/**
 * A signed 64-bit fingerprint as two 32-bit halves (credit_records.source_hash = hi * 2^32 + unsigned
 * lo). The low WARNING_BITS of lo are not part of the row's fingerprint: the stored value carries there
 * how many warnings the row gave (withWarnings), so that a re-delivery that leaves the row out still
 * counts them.
 */
export interface SourceHash {
  readonly hi: number;
  readonly lo: number;
}

const ruleText = new WeakMap<CategorySpec, string>();

/** The category's rules as data: its schema, the shared definitions and the code lists its fields use. */
function rulesOf(spec: CategorySpec): string {
  let text = ruleText.get(spec);
  if (text === undefined) {
    text = hash('sha256', JSON.stringify([spec.version, spec.schema, commonSchema, spec.fields.map((f) => f.codelist ?? null)]), 'hex');
    ruleText.set(spec, text);
  }
  return text;
}

/** Per header (one per file read), the reading under the deliverer it was last asked for. */
const readings = new WeakMap<HeaderMap, { readonly spec: CategorySpec; readonly deliverer: ProviderUnit; readonly reading: string }>();

/** What a row's cells are read under, as a short prefix of every fingerprint of the file. */
export function readingOf(spec: CategorySpec, header: HeaderMap, deliverer: ProviderUnit): string {
  const r = readings.get(header);
  if (r?.spec === spec && r.deliverer === deliverer) return r.reading;
  const reading = hash('md5', JSON.stringify([rulesOf(spec), header.headers, deliverer]), 'hex');
  readings.set(header, { spec, deliverer, reading });
  return reading;
}

const WARNING_BITS = 3;
/** The most warnings a stored fingerprint can carry; a row with more keeps none. */
export const MAX_KEPT_WARNINGS = (1 << WARNING_BITS) - 1;

/** The fingerprint of a row's cells, its low WARNING_BITS clear (U+0000 cannot be in an accepted row's cells: E_ROW_NUL). */
export function sourceHash(reading: string, cells: readonly string[]): SourceHash {
  const digest = hash('md5', `${reading}\u0000${cells.join('\u0000')}`, 'buffer');
  return { hi: digest.readInt32BE(0), lo: digest.readInt32BE(4) & ~MAX_KEPT_WARNINGS };
}

/** The value a record keeps: the fingerprint with the row's warnings counted in its low bits (at most MAX_KEPT_WARNINGS). */
export const withWarnings = (h: SourceHash, warnings: number): SourceHash => ({ hi: h.hi, lo: h.lo | warnings });

/** A kept value -> the row's fingerprint and the warnings it gave. */
export const splitKept = (kept: SourceHash): { fingerprint: SourceHash; warnings: number } =>
  ({ fingerprint: { hi: kept.hi, lo: kept.lo & ~MAX_KEPT_WARNINGS }, warnings: kept.lo & MAX_KEPT_WARNINGS });
