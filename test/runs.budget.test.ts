/**
 * The daily ledger is per-user state that does not pile up: each user's record expires a day
 * after their last reservation, in the stores the bot really uses (keyv in memory, on SQLite, on
 * PostgreSQL).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DAY_MS, KeyvBudget } from '../src/runs/budget.ts';
import { openStore } from '../src/storage/index.ts';
import { stateKeys } from '../src/storage/state.ts';
import { describeBackends } from './helpers/storageBackends.ts';

afterEach(() => void vi.useRealTimers());

function ledgerExpires(fresh: () => Promise<string>): void {
  it("forgets a user's record a day after their last reservation", async () => {
    // Only the wall clock is faked (keyv and the ledger read Date.now); no timer is.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2025-01-01T00:00:00Z') });
    const store = await openStore(await fresh());
    try {
      const budget = new KeyvBudget(store.state, 10);
      await budget.reserve('u', 'run-1', 4);
      vi.setSystemTime(Date.now() + DAY_MS / 2);
      await budget.reserve('u', 'run-2', 3);
      expect(await budget.remaining('u')).toBe(3);
      // A day after the first reservation: that one has aged out, the record lives on.
      vi.setSystemTime(Date.now() + DAY_MS / 2 + 1);
      expect(await budget.remaining('u')).toBe(7);
      expect(await store.state.get(stateKeys.ledger('u'))).toHaveLength(2);
      // A day after the last one: the record itself is gone, not merely ignored.
      vi.setSystemTime(Date.now() + DAY_MS / 2);
      expect(await store.state.get(stateKeys.ledger('u'))).toBeUndefined();
      expect(await budget.remaining('u')).toBe(10);
    } finally {
      await store.close();
    }
  });
}

describe('the daily example ledger [memory]', () => ledgerExpires(() => Promise.resolve('memory://')));
describeBackends('the daily example ledger', (backend) => ledgerExpires(() => backend.fresh()));
