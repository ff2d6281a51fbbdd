/** A small typed event emitter: the SDK runs where Node's `events` does not (browsers, WeChat). */
export class Emitter<Events extends { [E in keyof Events]: (...args: never[]) => void }> {
  private readonly handlers = new Map<keyof Events, Set<Events[keyof Events]>>();

  on<E extends keyof Events>(event: E, handler: Events[E]): this {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler);
    return this;
  }

  off<E extends keyof Events>(event: E, handler: Events[E]): this {
    this.handlers.get(event)?.delete(handler);
    return this;
  }

  /** Listeners registered now; a handler that throws does not stop the others. */
  protected emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const set = this.handlers.get(event);
    if (!set) {
      return;
    }
    for (const handler of [...set]) {
      try {
        (handler as (...a: Parameters<Events[E]>) => void)(...args);
      } catch (error) {
        setTimeout(() => {
          throw error;
        });
      }
    }
  }

  protected removeAllListeners(): void {
    this.handlers.clear();
  }

  /** How many handlers are registered (tests check nothing survives a close). */
  listenerCount(event?: keyof Events): number {
    if (event !== undefined) {
      return this.handlers.get(event)?.size ?? 0;
    }
    let count = 0;
    for (const set of this.handlers.values()) {
      count += set.size;
    }
    return count;
  }
}
