// The lending institutions, as a registry with ids (like the provider units): tokens and grants refer
// to an institution by its id, and a name is looked up by its normalised key, so "临沂某银行", " 临沂某银行"
// and "临沂某银行　" (full-width space) are one institution, and a name nobody registered is refused
// instead of silently never matching.
import { randomUUID } from 'node:crypto';
import type { Db } from './db.ts';
import { utcIso } from './sql.ts';

export interface Institution {
  readonly id: string;
  readonly name: string;
  readonly created_at: string;
}

/** Unicode NFKC (full-width letters and spaces folded), whitespace trimmed and collapsed, Latin letters lower-cased. */
export function institutionKey(name: string): string {
  return name.normalize('NFKC').replace(/\s+/gu, ' ').trim().toLowerCase();
}

/** The name as it is kept: NFKC, whitespace trimmed and collapsed (case as given). */
export const institutionName = (name: string) => name.normalize('NFKC').replace(/\s+/gu, ' ').trim();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const select = (db: Db) => db.knex('institutions').select('id', 'name', db.knex.raw(utcIso('created_at')));

/** Registers an institution, or returns the one already registered under the same key. */
export async function registerInstitution(db: Db, name: string): Promise<{ institution: Institution; created: boolean }> {
  const key = institutionKey(name);
  if (!key) throw new Error('an institution needs a name');
  const inserted = await db.knex('institutions').insert({ id: randomUUID(), name: institutionName(name), name_key: key }).onConflict('name_key').ignore().returning('id');
  const institution = (await select(db).where({ name_key: key }).first()) as Institution;
  return { institution, created: inserted.length > 0 };
}

/** The registered institution with this id, or whose name has this key; undefined if none. */
export async function findInstitution(db: Db, idOrName: string): Promise<Institution | undefined> {
  const q = select(db);
  return (await (UUID.test(idOrName.trim()) ? q.where({ id: idOrName.trim() }) : q.where({ name_key: institutionKey(idOrName) })).first()) as Institution | undefined;
}

export async function listInstitutions(db: Db): Promise<Institution[]> {
  return (await select(db).orderBy('name')) as Institution[];
}
