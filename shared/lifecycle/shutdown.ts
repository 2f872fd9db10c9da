import type { Logger } from "../logging/logger.js";

export type Closer = { name: string; close: () => Promise<void> };

/**
 * Runs closers in order when SIGTERM or SIGINT arrives (or when `shutdown()` is
 * called), and exits. A deadline bounds the whole drain: whatever has not
 * finished by then is abandoned and the process exits non-zero.
 */
export class GracefulShutdown {
  private readonly closers: Closer[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly deadlineMs: number,
  ) {}

  add(name: string, close: () => Promise<void>): this {
    this.closers.push({ name, close });
    return this;
  }

  listen(): this {
    const onSignal = (signal: NodeJS.Signals) => {
      this.logger.info({ signal }, "shutting down");
      void this.shutdown().then((clean) => process.exit(clean ? 0 : 1));
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
    return this;
  }

  /** Resolves true when every closer finished before the deadline. */
  async shutdown(): Promise<boolean> {
    this.running ??= this.drain();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.deadlineMs);
      timer.unref();
    });
    const clean = await Promise.race([this.running.then(() => true), timedOut]);
    clearTimeout(timer);
    if (!clean) this.logger.error({ deadlineMs: this.deadlineMs }, "shutdown deadline passed; exiting anyway");
    return clean;
  }

  private async drain(): Promise<void> {
    for (const closer of this.closers) {
      const started = Date.now();
      try {
        await closer.close();
        this.logger.info({ step: closer.name, ms: Date.now() - started }, "closed");
      } catch (error) {
        this.logger.error({ err: error, step: closer.name }, "close failed");
      }
    }
  }
}
