/**
 * Serialises async read-modify-write sections per key inside one process. Two runs of the same
 * user that save at once queue on the user's index key, so neither overwrites the other's entry.
 * It does not coordinate processes: the store refuses a second live process (see `owner.ts`).
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await section();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with a section running or queued (for tests and diagnostics). */
  get busyKeys(): number {
    return this.tails.size;
  }
}
