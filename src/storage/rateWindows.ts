/**
 * Teachers' rate windows (`rate_windows`): the state of each teacher's limiter in the process that
 * calls it, so a restarted process still counts the calls of the window (src/teachers/limits/
 * persistedLimits.ts). One row per teacher, overwritten as calls start; a row past its expiry says
 * nothing.
 */
import type { StoreContext } from './context.ts';
import { parseJson } from './context.ts';

export class RateWindowRepository {
  constructor(
    private readonly context: StoreContext,
    private readonly now: () => number = Date.now,
  ) {}

  async get(teacherId: string): Promise<unknown> {
    const row = await this.context.db.selectFrom('rate_windows').select(['state', 'expires_at']).where('teacher_id', '=', teacherId).executeTakeFirst();
    if (!row || Number(row.expires_at) <= this.now()) return undefined;
    return parseJson<unknown>(this.context, 'rate_windows.state', teacherId, row.state, undefined);
  }

  async set(teacherId: string, state: unknown, ttlMs: number): Promise<void> {
    const values = { state: JSON.stringify(state), expires_at: this.now() + ttlMs };
    await this.context.write((db) =>
      db
        .insertInto('rate_windows')
        .values({ teacher_id: teacherId, ...values })
        .onConflict((oc) => oc.column('teacher_id').doUpdateSet(values))
        .execute(),
    );
  }
}
