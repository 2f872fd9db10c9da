import type { Logger } from "../logging/logger.js";
import type { OutboundMessage, OutboundMessenger, SentMessage } from "./outbound-message.js";

/**
 * Development adapter: logs each message (text included, so a local user can
 * copy a code from the console) and keeps the last `capacity` in memory for
 * tests. Never used for e-mail when SMTP_URL is set.
 */
export class DevOutbox implements OutboundMessenger {
  private readonly messages: SentMessage[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly capacity = 200,
    /** Off in production: codes and links must not end up in a log store. */
    private readonly logBodies = true,
  ) {}

  async send(message: OutboundMessage): Promise<void> {
    this.messages.push({ ...message, sentAt: new Date() });
    if (this.messages.length > this.capacity) this.messages.splice(0, this.messages.length - this.capacity);
    const body = this.logBodies ? { body: message.text } : {};
    this.logger.info({ channel: message.channel, to: message.to, kind: message.kind, subject: message.subject, ...body }, "outbound message (development outbox)");
  }

  /** Messages kept for an address, oldest first. */
  sentTo(address: string): SentMessage[] {
    const wanted = address.toLowerCase();
    return this.messages.filter((message) => message.to.toLowerCase() === wanted);
  }

  /** The most recent message for an address, optionally of one kind. */
  last(address: string, kind?: string): SentMessage | undefined {
    return this.sentTo(address).filter((message) => kind === undefined || message.kind === kind).at(-1);
  }
}
