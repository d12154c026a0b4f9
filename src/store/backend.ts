import type { Connection } from 'mongoose';

/** Which MongoDB-wire server the process talks to; every difference between them lives in `src/store/`. */
export type StoreBackend = 'mongodb' | 'ferretdb';

/** The MONGO_BACKEND setting: `auto` asks the server; a name forces that backend's code paths. */
export type BackendSetting = 'auto' | StoreBackend;

/** FerretDB answers buildInfo with its own version field; MongoDB does not. */
export async function detectBackend(conn: Connection): Promise<StoreBackend> {
  const info = (await conn.db!.admin().command({ buildInfo: 1 })) as Record<string, unknown>;
  return 'ferretdbVersion' in info || 'ferretdb' in info ? 'ferretdb' : 'mongodb';
}

/**
 * The backend whose code paths the process takes, chosen once at start-up. Forcing `mongodb` on
 * FerretDB is how CI runs the real-MongoDB branches on this machine (see docs/ferretdb.md for the
 * one branch FerretDB cannot execute).
 */
export async function chooseBackend(conn: Connection, setting: BackendSetting): Promise<StoreBackend> {
  return setting === 'auto' ? detectBackend(conn) : setting;
}
