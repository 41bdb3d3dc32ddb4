// The enterprise profile an analyst reads: every category with provenance and derived indicators,
// under the rules of api/access.ts, and the account of what was shown, masked or withheld that the
// access log keeps.
import { categories, category, type CategoryId, type CategorySpec } from '../schemas/registry.ts';
import { collectedUnderLapsed, type Authorisation } from '../store/authorisations.ts';
import type { Db } from '../store/db.ts';
import { enterpriseReads, type ProfileRecord } from '../store/queries.ts';
import { shanghaiToday } from '../lib/utility-indicators.ts';
import { utilityIndicators } from '../store/indicators.ts';
import { isGatedCategory } from '../schemas/sensitivity.ts';
import { lapsedNote, pastPublicity, viewFields, withheldNote } from './access.ts';

export interface Viewer {
  /** The registry id of the institution authorisations must name; null for the platform's own staff. */
  readonly institutionId: string | null;
  readonly includePastPublicity: boolean;
  readonly now: Date;
  /** The day the indicators are computed as of (YYYY-MM-DD); today in Asia/Shanghai when not given. */
  readonly asOf?: string;
}

/** What the access log records about one enterprise read. */
export interface ProfileAccess {
  readonly returned: CategoryId[];
  readonly withheld: CategoryId[];
  readonly masked: Partial<Record<CategoryId, string[]>>;
  readonly authorisations: Partial<Record<CategoryId, string>>;
  /** Records left out because they were collected under a platform authorisation no longer in force. */
  readonly lapsed: Partial<Record<CategoryId, number>>;
  pastPublicityHidden: number;
}

/** A stored record's provenance as the service shows it (profile and search). */
export const provenanceView = (r: Pick<ProfileRecord, 'source_unit' | 'delivered_by' | 'batch_id' | 'source_line' | 'received_at' | 'loaded_at' | 'schema_version' | 'version'>) => ({
  sourceUnit: r.source_unit, deliveredBy: r.delivered_by, batchId: r.batch_id, sourceLine: r.source_line,
  receivedAt: r.received_at, loadedAt: r.loaded_at, schemaVersion: r.schema_version, version: r.version,
});

const INDICATOR_CATEGORIES = ['water', 'gas'] as const;

/** The grant in force naming the category (the one lasting longest: grants come latest expiry first). */
const grantOf = (grants: readonly Authorisation[], id: CategoryId) => grants.find((g) => g.categories.includes(id));

/** A gated category is shown only under a grant; the others always (masked without one). */
const shownUnder = (spec: CategorySpec, grant: Authorisation | undefined) => !isGatedCategory(spec) || grant !== undefined;

export async function enterpriseProfile(db: Db, uscc: string, viewer: Viewer) {
  const at = viewer.now.toISOString();
  const today = at.slice(0, 10);
  const { records: all, grants, lapsed } = await enterpriseReads(db, { uscc, institutionId: viewer.institutionId, at });
  const shownIndicators: Partial<Record<(typeof INDICATOR_CATEGORIES)[number], ReturnType<typeof utilityIndicators>>> = {};
  for (const c of INDICATOR_CATEGORIES) {
    // Indicators over data collected under a lapsed authorisation would disclose it.
    if (shownUnder(category(c), grantOf(grants, c)) && lapsed[c] === undefined) {
      shownIndicators[c] = utilityIndicators(all.filter((r) => r.category === c), viewer.asOf ?? shanghaiToday(viewer.now));
    }
  }
  const access: ProfileAccess = { returned: [], withheld: [], masked: {}, authorisations: {}, lapsed: {}, pastPublicityHidden: 0 };
  const shown = [];
  const withheld = [];
  let name: string | null = null;
  for (const spec of categories()) {
    const grant = grantOf(grants, spec.id);
    if (grant) access.authorisations[spec.id] = grant.id;
    if (!shownUnder(spec, grant)) {
      withheld.push(withheldNote(spec));
      access.withheld.push(spec.id);
      continue;
    }
    const masked = new Set<string>();
    const view = (fields: Record<string, unknown>) => {
      const v = viewFields(spec, fields, grant !== undefined);
      for (const k of v.masked) masked.add(k);
      return v.fields;
    };
    const records = [];
    for (const r of all.filter((x) => x.category === spec.id)) {
      if (collectedUnderLapsed(lapsed, { category: spec.id, loadedAt: r.loaded_at })) {
        access.lapsed[spec.id] = (access.lapsed[spec.id] ?? 0) + 1;
        continue;
      }
      if (!viewer.includePastPublicity && pastPublicity(spec.id, r.fields, today)) {
        access.pastPublicityHidden++;
        continue;
      }
      name ??= (r.fields.subject_name as string | undefined) ?? null;
      records.push({
        naturalKey: r.natural_key, eventDate: r.event_date, fields: view(r.fields), provenance: provenanceView(r),
        history: r.history.map((h) => ({ fields: view(h.fields), provenance: provenanceView(h), supersededAt: (h as typeof h & { superseded_at: string }).superseded_at })),
      });
    }
    if (access.lapsed[spec.id]) withheld.push(lapsedNote(spec));
    access.returned.push(spec.id);
    if (masked.size) access.masked[spec.id] = [...masked].sort();
    shown.push({
      category: spec.id, labelZh: spec.labelZh, sharing: spec.sharing,
      authorisation: grant ? { id: grant.id, expiresAt: grant.expires_at } : null,
      maskedFields: [...masked].sort(), records,
    });
  }
  return {
    body: { uscc, name, asOf: at, categories: shown, withheld, indicators: shownIndicators, pastPublicityHidden: access.pastPublicityHidden },
    access,
  };
}
