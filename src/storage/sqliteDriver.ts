/**
 * The SQLite driver for the Node.js that is running: better-sqlite3 13 on Node 22 and later,
 * better-sqlite3 12.11.1 on Node 20. Both have the same API; only one is ever loaded.
 *
 * Why two majors:
 *  - 12 derives its native objects from `node::ObjectWrap`. Since Node 24.19 that class removes an
 *    environment cleanup hook in its destructor and asserts that a Node environment is current, so
 *    a statement finalised by the garbage collector outside JavaScript (idle GC, process teardown)
 *    aborts the process: `Assertion failed: (env) != nullptr`, SIGABRT — after the work is done,
 *    or in the middle of a run (nodejs/node#65446; test/runtime.nativeModules.test.ts reproduces it).
 *  - 13 is built on Node-API, which has no such hook, and ships prebuilt binaries for every Node
 *    from 22 on; but it requires Node 22 and crashes Node 20 with a segmentation fault.
 * package.json therefore installs 13 as an *optional* dependency (npm leaves it out on Node 20,
 * whose version its `engines` exclude) and 12 under the alias `better-sqlite3-node20`. When Node 20
 * is dropped, the alias goes and 13 becomes a plain dependency.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

export type SqliteDriver = typeof BetterSqlite3;
export type SqliteConnection = BetterSqlite3.Database;

/** The first Node.js major whose SQLite driver is better-sqlite3 13. */
const NODE_API_DRIVER_FROM_MAJOR = 22;

/** The package the running Node.js loads SQLite from. */
export function sqliteDriverPackage(nodeVersion: string = process.versions.node): string {
  const major = Number(nodeVersion.split('.')[0]);
  return major >= NODE_API_DRIVER_FROM_MAJOR ? 'better-sqlite3' : 'better-sqlite3-node20';
}

const require = createRequire(import.meta.url);
let driver: SqliteDriver | undefined;

/** Loads (once) the driver for the running Node.js, or says which command makes it loadable. */
export function sqliteDriver(): SqliteDriver {
  driver ??= load(sqliteDriverPackage());
  return driver;
}

function load(name: string): SqliteDriver {
  try {
    return require(name) as SqliteDriver;
  } catch (error) {
    throw new Error(describeLoadFailure(name, error), { cause: error });
  }
}

/** A load failure as the one thing to do about it; exported for its test. */
export function describeLoadFailure(name: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const node = `Node.js ${process.version}`;
  if (code === 'MODULE_NOT_FOUND' && message.includes(`'${name}'`)) {
    return `The SQLite driver for ${node} (${name}) is not installed; the dependencies were probably installed with another Node.js version. Run \`npm install\` with ${node}.`;
  }
  if (message.includes('NODE_MODULE_VERSION')) {
    return `The SQLite driver (${name}) was built for another Node.js version than ${node}. Run \`npm rebuild\` (or \`npm ci\`) with ${node}.`;
  }
  return `The SQLite driver (${name}) could not be loaded on ${node}: ${message}`;
}
