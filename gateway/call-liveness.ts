import type { CallService } from "../shared/calls/call.service.js";
import type { Logger } from "../shared/logging/logger.js";

interface JoinedDevice {
  callId: string;
  userId: string;
  deviceId: string;
}

/**
 * This replica's side of call liveness: every joined call device it holds is
 * vouched for on a timer (so a party whose devices all vanish — a replica
 * killed without a clean disconnect — stops being refreshed and is dropped
 * by the sweep after the grace period), and the sweep of due calls runs here
 * too, from a random point of the period so replicas do not all run it at once.
 */
export class CallLiveness {
  private readonly bySocket = new Map<string, Map<string, JoinedDevice>>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly calls: CallService,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {}

  track(socketId: string, device: JoinedDevice): void {
    let calls = this.bySocket.get(socketId);
    if (!calls) this.bySocket.set(socketId, (calls = new Map()));
    calls.set(device.callId, device);
  }

  untrack(socketId: string, callId?: string): void {
    if (callId === undefined) this.bySocket.delete(socketId);
    else this.bySocket.get(socketId)?.delete(callId);
  }

  start(): void {
    const tick = (delay: number) => {
      this.timer = setTimeout(() => {
        void this.beat().finally(() => {
          if (this.running) tick(this.intervalMs);
        });
      }, delay);
      this.timer.unref();
    };
    this.running = true;
    tick(Math.random() * this.intervalMs);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }

  private async beat(): Promise<void> {
    try {
      const entries: Array<[string, JoinedDevice]> = [];
      const seen = new Set<string>();
      for (const [socketId, calls] of this.bySocket) {
        for (const device of calls.values()) {
          const key = `${device.callId}|${device.userId}|${device.deviceId}`;
          if (!seen.has(key)) entries.push([socketId, device]);
          seen.add(key);
        }
      }
      if (entries.length > 0) {
        const joined = await this.calls.touch(entries.map(([, device]) => device));
        entries.forEach(([socketId, device], i) => {
          if (!joined[i]) this.untrack(socketId, device.callId);
        });
      }
      await this.calls.sweep();
    } catch (error) {
      this.logger.warn({ err: error }, "call liveness failed");
    }
  }
}
