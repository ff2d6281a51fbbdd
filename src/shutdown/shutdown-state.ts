import { Injectable } from '@nestjs/common';

/** Whether this process is shutting down; read by readiness, the handshake and presence. */
@Injectable()
export class ShutdownState {
  private begun = false;

  get active(): boolean {
    return this.begun;
  }

  begin(): void {
    this.begun = true;
  }
}
