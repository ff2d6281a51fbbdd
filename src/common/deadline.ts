/**
 * A storage call's deadline: passed once its caller was answered UNAVAILABLE, after which
 * no work for that call starts. A plain flag and listeners: an AbortController costs more
 * than the memory engine's whole heartbeat.
 */
export class Deadline {
  private listeners?: Set<() => void>;
  private over = false;

  get passed(): boolean {
    return this.over;
  }

  /** Marks the deadline passed and calls each listener once. */
  pass(): void {
    if (this.over) {
      return;
    }
    this.over = true;
    const listeners = this.listeners;
    this.listeners = undefined;
    listeners?.forEach((listener) => listener());
  }

  /** Calls `listener` when the deadline passes; returns what cancels that. */
  onPass(listener: () => void): () => void {
    this.listeners ??= new Set();
    this.listeners.add(listener);
    return () => this.listeners?.delete(listener);
  }
}
