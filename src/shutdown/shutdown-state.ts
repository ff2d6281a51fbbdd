import { Injectable } from '@nestjs/common';

/** Whether this process is shutting down; read by readiness, the handshake and presence. */
@Injectable()
export class ShutdownState {
  private since?: number;

  get active(): boolean {
    return this.since !== undefined;
  }

  begin(): void {
    this.since ??= Date.now();
  }
}
