// Creating and dropping whole PostgreSQL databases on a server, for what needs a database of its
// own: each test file, the stand-in providers' source database, the benchmark.
import knexFactory from 'knex';

/** The same server URL pointing at another database. */
export function databaseUrl(serverUrl: string, name: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(sql);
  } finally {
    await admin.destroy();
  }
}

const identifier = (name: string) => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a database name: ${name}`);
  return name;
};

/** Creates the database and returns its URL. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  await onServer(serverUrl, `CREATE DATABASE ${identifier(name)}`);
  return databaseUrl(serverUrl, name);
}

/** Drops the database, disconnecting whoever is still connected. */
export function dropDatabase(serverUrl: string, name: string): Promise<void> {
  return onServer(serverUrl, `DROP DATABASE IF EXISTS ${identifier(name)} WITH (FORCE)`);
}
