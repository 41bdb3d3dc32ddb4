// Shapes that flow between the pipeline stages. Stages are pure functions over these.
import type { CategoryId, CompositeSpec, FieldSpec } from '../schemas/registry.ts';
import type { IssueCode } from './issues.ts';
import type { SourceHash } from './stages/source-hash.ts';

/** One record as the file delivered it. */
export interface SourceRow {
  /** 1-based line of the file on which the record starts (the header is line 1). */
  readonly line: number;
  readonly cells: readonly string[];
}

/** A record the parser could not read (stray quote, invalid bytes …); parsing goes on after it. */
export interface MalformedRow {
  readonly line: number;
  readonly raw: string;
  readonly code: IssueCode;
  /** Chinese, or language-neutral when detailEn is absent */
  readonly detail: string;
  readonly detailEn?: string;
}

export type ParsedRecord = { readonly kind: 'row'; readonly row: SourceRow } | { readonly kind: 'malformed'; readonly row: MalformedRow };

/** What a batch reads (a BatchInput, not a connector's ProviderRecord): parsed records, or rows the parse thread has already checked
 * (pipelines/process-row.ts checkRow). A checked row keeps its cells only when it is rejected
 * (they are stored with it); the others cross threads without them. */
export type BatchInput = ParsedRecord | { readonly kind: 'checked'; readonly row: SourceRow; readonly checked: CheckedRow } | KnownRow;

/**
 * A row whose fingerprint a stored record of the deliverer carries (pipelines/known-rows.ts): not
 * checked; its cells, joined by U+0000, cross only in case an earlier line wrote its key after all.
 */
export interface KnownRow {
  readonly kind: 'known';
  readonly line: number;
  /** Its slot in the batch's KnownSet. */
  readonly slot: number;
  readonly cells: string;
}

/** A row normalised, validated and given its source unit; not yet stamped. */
export type CheckedRow =
  | {
    readonly kind: 'valid'; readonly fields: Fields; readonly sourceUnit: string; readonly warnings: readonly RowIssue[];
    /** The row's fingerprint with the number of its warnings (pipelines/stages/source-hash.ts); null for a row with more than it holds. */
    readonly sourceHash: SourceHash | null;
    /** The 行号 of a corrected rejection report's row: the line of the original batch it corrects. */
    readonly corrects?: number;
  }
  | { readonly kind: 'rejected'; readonly issues: readonly RowIssue[]; readonly warnings: readonly RowIssue[] }
  | { readonly kind: 'blank' };

/** Column i of the file -> the field it carries (undefined: not loaded). */
export interface HeaderMap {
  readonly headers: readonly string[];
  readonly columns: readonly (FieldSpec | undefined)[];
  /** The loaded columns as [column index, field key]: what a row is read by. */
  readonly loaded: readonly (readonly [number, string])[];
  /** Columns that pack several fields (x-composites), as [column index, composite]. */
  readonly composites: readonly (readonly [number, CompositeSpec])[];
  /** Field key -> the (trimmed) header the file used for it. */
  readonly headerOf: (key: string) => string | undefined;
  /** Column index of 行号 when the file is a corrected rejection report: the line of the original batch each row corrects. */
  readonly reportLine?: number;
}

/** _original (a record's cells as delivered, for values converted from another unit) is the one object value. */
export type FieldValue = string | boolean | readonly string[] | Readonly<Record<string, string>>;
export type Fields = Record<string, FieldValue>;

/** A problem of one row (or of the batch, with line null). Messages name the column in Chinese. */
export interface RowIssue {
  readonly line: number | null;
  /** The column as the clerk sees it: the file's header when known, else the field's Chinese label. */
  readonly column: string | null;
  readonly field: string | null;
  readonly value: string | null;
  readonly code: IssueCode;
  readonly messageZh: string;
  readonly messageEn: string;
}

export interface Provenance {
  readonly sourceUnit: string;
  readonly deliveredBy: string;
  readonly batchId: string;
  readonly sourceLine: number;
  readonly receivedAt: string;
  readonly schemaVersion: string;
  readonly contentHash: string;
}

/** A validated, canonical record ready for the store. */
export interface CreditRecord {
  readonly category: CategoryId;
  readonly naturalKey: string;
  /** null for an entity without one (a family farm keyed on 名称 + 所在地) */
  readonly subjectUscc: string | null;
  readonly subjectName: string;
  readonly eventDate: string | null;
  readonly fields: Fields;
  readonly provenance: Provenance;
  /** The fingerprint of the row it was read from (pipelines/stages/source-hash.ts); null: none to keep. */
  readonly sourceHash: SourceHash | null;
}

export interface BatchCounts {
  readonly read: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly duplicates: number;
}

/** How a batch ends: its rows in the store, refused whole (over its reject budget, a bad header), or failed (infrastructure). */
export type BatchOutcome = 'loaded' | 'refused' | 'failed';
