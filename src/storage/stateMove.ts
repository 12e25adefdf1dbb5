/**
 * Moves the key-value state an older Zega kept inside the SQLite database file (table `kv_state`)
 * into the state's own file (state.ts says why it has one), so that an upgrade keeps the daily
 * budgets, drafts and panels, and the database file is left to better-sqlite3 alone.
 *
 * The copy runs through better-sqlite3 (ATTACH), before this process opens the state file with
 * @keyv/sqlite, so no two SQLite libraries of this process have the file open at once. Every row is
 * copied as stored (keyv's serialised value with its expiry), then the old table is dropped in the
 * same transaction; a key already in the state file wins (a newer value written there).
 */
import { sql } from 'kysely';
import type { SqlDatabase } from './database.ts';
import { STATE_TABLE, STATE_TABLE_DDL } from './state.ts';

const ALIAS = 'zega_state_move';

/** Returns how many entries were moved (0 when the database holds no state table). */
export async function moveStateToItsFile(database: SqlDatabase, stateFile: string): Promise<number> {
  if (database.dialect !== 'sqlite' || database.readOnly) return 0;
  if (!(await hasStateTable(database))) return 0;
  // ATTACH cannot run inside a transaction; the copy and the drop below are one transaction.
  await sql`attach database ${stateFile} as ${sql.raw(ALIAS)}`.execute(database.db);
  try {
    return await database.write(async (trx) => {
      // Another process may have moved it while this one waited for the lock.
      if (!(await hasStateTable(database, trx))) return 0;
      await sql.raw(`create table if not exists ${ALIAS}.${STATE_TABLE}${STATE_TABLE_DDL}`).execute(trx);
      const moved = await sql.raw(`insert or ignore into ${ALIAS}.${STATE_TABLE} (key, value) select key, value from main.${STATE_TABLE}`).execute(trx);
      await sql.raw(`drop table main.${STATE_TABLE}`).execute(trx);
      return Number(moved.numAffectedRows ?? 0);
    });
  } finally {
    await sql`detach database ${sql.raw(ALIAS)}`.execute(database.db);
  }
}

async function hasStateTable(database: SqlDatabase, db = database.db): Promise<boolean> {
  const rows = await sql<{ n: number }>`select count(*) as n from main.sqlite_master where type = 'table' and name = ${STATE_TABLE}`.execute(db);
  return Number(rows.rows[0]?.n ?? 0) > 0;
}
