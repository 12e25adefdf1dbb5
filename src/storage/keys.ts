/**
 * The one place that knows the key layout. Repositories ask for keys here; nothing else builds
 * them. Every key lives under keyv's namespace `zega:` (added by keyv itself).
 *
 *   meta:store                      store format record
 *   meta:owner                      the live process that holds the store
 *   quarantine:<ts>:<key>           a row that failed to decode, moved aside before being replaced
 *   story:<userId>:<storyId>        one story (body)
 *   stories:<userId>:head           the user's story index head (segment count)
 *   stories:<userId>:seg:<n>        one segment of the user's story index (compact entries)
 *   run:<runId>                     one run (options, status, counts, result, Discord message)
 *   run:<runId>:ex:<index>          compact record of one finished example of the run
 *   runs:user:<userId>              the user's run ids, oldest first
 *   runs:active                     ids of runs queued or running (start-up marks them interrupted)
 *   stats:global                    model statistics, all users
 *   stats:user:<userId>             model statistics of one user
 *   stats:guild:<guildId>           model statistics of one guild, plus its trainers
 *   ft:<userId>:meta                fine-tuning collection counters
 *   ft:<userId>:e:<seq>             one fine-tuning example (with its losing candidates)
 *   mem:<userId>:meta               memory counters
 *   mem:<userId>:e:<seq>            one memory entry
 *   ftr:<userId>:meta               fine-tune round counters
 *   ftr:<userId>:e:<seq>            one fine-tune round (dataset figures, best parameters, personal model build)
 */
import { StorageError } from './errors.ts';

/** Discord snowflakes, UUIDs and our base62 ids all match; `:` never does, so keys cannot collide. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function checkId(kind: string, value: string): string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw new StorageError(`Invalid ${kind} ${JSON.stringify(value)}: expected 1-64 letters, digits, '-' or '_'.`, 'INVALID_INPUT');
  }
  return value;
}

const user = (userId: string) => checkId('user id', userId);

export const keys = {
  storeMeta: () => 'meta:store',
  owner: () => 'meta:owner',
  quarantine: (key: string, at: number) => `quarantine:${at}:${key}`,

  story: (userId: string, storyId: string) => `story:${user(userId)}:${checkId('story id', storyId)}`,
  storyHead: (userId: string) => `stories:${user(userId)}:head`,
  storySegment: (userId: string, n: number) => `stories:${user(userId)}:seg:${n}`,
  /** Mutex key of a user's story library. */
  storyLock: (userId: string) => `lock:stories:${user(userId)}`,

  run: (runId: string) => `run:${checkId('run id', runId)}`,
  runExample: (runId: string, index: number) => `run:${checkId('run id', runId)}:ex:${index}`,
  userRuns: (userId: string) => `runs:user:${user(userId)}`,
  activeRuns: () => 'runs:active',

  globalStats: () => 'stats:global',
  userStats: (userId: string) => `stats:user:${user(userId)}`,
  guildStats: (guildId: string) => `stats:guild:${checkId('guild id', guildId)}`,

  fineTuneMeta: (userId: string) => `ft:${user(userId)}:meta`,
  fineTuneExample: (userId: string, seq: number) => `ft:${user(userId)}:e:${seq}`,

  memoryMeta: (userId: string) => `mem:${user(userId)}:meta`,
  memoryEntry: (userId: string, seq: number) => `mem:${user(userId)}:e:${seq}`,

  fineTuneRoundsMeta: (userId: string) => `ftr:${user(userId)}:meta`,
  fineTuneRound: (userId: string, seq: number) => `ftr:${user(userId)}:e:${seq}`,
} as const;
