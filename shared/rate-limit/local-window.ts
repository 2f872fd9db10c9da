import { AppError } from "../errors/app-error.js";
import type { RateRule } from "./rate-limiter.js";

/**
 * An in-memory sliding window (two fixed buckets, weighted) for limits whose
 * subject lives in one process, such as one socket's events: no Redis round
 * trip on the hot path.
 */
export class LocalWindow {
  private bucket = -1;
  private current = 0;
  private previous = 0;

  constructor(private readonly rule: RateRule) {}

  /** Records a hit or throws RATE_LIMITED. */
  consume(now = Date.now()): void {
    const windowMs = this.rule.windowSeconds * 1000;
    const bucket = Math.floor(now / windowMs);
    if (bucket !== this.bucket) {
      this.previous = bucket === this.bucket + 1 ? this.current : 0;
      this.current = 0;
      this.bucket = bucket;
    }
    const intoWindow = now - bucket * windowMs;
    const estimate = this.previous * (1 - intoWindow / windowMs) + this.current;
    if (estimate >= this.rule.limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((windowMs - intoWindow) / 1000));
      throw new AppError("RATE_LIMITED", `Too many events; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
    this.current++;
  }
}
