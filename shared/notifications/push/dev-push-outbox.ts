import type { Logger } from "../../logging/logger.js";
import type { PushPayload, PushSender, PushTarget } from "./push-sender.js";

/** Development push: kept in memory (tests and local users read it) and logged, sent nowhere. */
export class DevPushOutbox implements PushSender {
  readonly name = "dev-outbox";
  readonly sent: Array<{ endpoint: string; payload: PushPayload; at: Date }> = [];

  constructor(private readonly logger: Logger, private readonly keep = 500) {}

  async send(target: PushTarget, payload: PushPayload): Promise<"sent"> {
    this.sent.push({ endpoint: target.endpoint, payload, at: new Date() });
    if (this.sent.length > this.keep) this.sent.splice(0, this.sent.length - this.keep);
    this.logger.info({ endpoint: target.endpoint, type: payload.type }, "push (development outbox)");
    return "sent";
  }
}
