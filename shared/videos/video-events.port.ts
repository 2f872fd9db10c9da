import { randomUUID } from "node:crypto";
import type { Logger } from "../logging/logger.js";
import type { VideoDomainEvents } from "./video.domain-events.js";

/** A durable domain event, written in the same document write as the change it announces. */
export interface OutboxEntry {
  id: string;
  name: string;
  payload: unknown;
  at: Date;
}

/**
 * The domain-event bus as the videos domain uses it: `record` makes an outbox
 * entry to write with the change; `published` dispatches the entries once the
 * write succeeded (and clears them from the document). The backbone's
 * `DomainEventBus` has this shape.
 */
export interface VideoEventSink {
  record<N extends keyof VideoDomainEvents>(name: N, payload: VideoDomainEvents[N]): OutboxEntry;
  published(ref: { collection: string; id: string }, entries: OutboxEntry[]): Promise<void>;
}

type Listener = (payload: unknown) => void | Promise<void>;

/**
 * In-process stand-in for the bus: runs local listeners, then clears the entries.
 * Entries left in a document by a crash stay there for the bus's sweep.
 */
export class LocalVideoEvents implements VideoEventSink {
  private readonly listeners = new Map<string, Listener[]>();

  constructor(
    private readonly clear: (ref: { collection: string; id: string }, entryIds: string[]) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  on<N extends keyof VideoDomainEvents>(name: N, listener: (payload: VideoDomainEvents[N]) => void | Promise<void>): void {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener as Listener]);
  }

  record<N extends keyof VideoDomainEvents>(name: N, payload: VideoDomainEvents[N]): OutboxEntry {
    return { id: randomUUID(), name, payload, at: new Date() };
  }

  async published(ref: { collection: string; id: string }, entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    for (const entry of entries) {
      for (const listener of this.listeners.get(entry.name) ?? []) {
        try {
          await listener(entry.payload);
        } catch (error) {
          this.logger.warn({ err: error, event: entry.name }, "video event listener failed");
        }
      }
    }
    await this.clear(ref, entries.map((entry) => entry.id));
  }
}
