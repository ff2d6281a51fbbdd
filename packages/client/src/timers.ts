type Handle = ReturnType<typeof setTimeout>;

/**
 * The timers one owner holds, so that closing it clears every one (nothing survives a
 * close) and tests can count them. `sleep` wakes early, resolved, on clearAll(): callers
 * check whether their owner is still open.
 */
export class Timers {
  private readonly active = new Map<Handle, () => void>();

  set(fn: () => void, ms: number): Handle {
    const handle = setTimeout(() => {
      this.active.delete(handle);
      fn();
    }, ms);
    this.active.set(handle, () => clearTimeout(handle));
    return handle;
  }

  clear(handle: Handle | undefined): void {
    if (handle !== undefined && this.active.delete(handle)) {
      clearTimeout(handle);
    }
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = setTimeout(() => {
        this.active.delete(handle);
        resolve();
      }, ms);
      this.active.set(handle, () => {
        clearTimeout(handle);
        resolve();
      });
    });
  }

  clearAll(): void {
    const cancels = [...this.active.values()];
    this.active.clear();
    cancels.forEach((cancel) => cancel());
  }

  get size(): number {
    return this.active.size;
  }
}
