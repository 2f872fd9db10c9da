import { randomUUID } from "node:crypto";
import type { Logger } from "../logging/logger.js";
import type { CallDomainEvents } from "./call.domain-events.js";
import type { OutboxEntry } from "./call.repository.js";

type Name = keyof CallDomainEvents;
type Listener<N extends Name> = (payload: CallDomainEvents[N], ctx: { eventId: string }) => void | Promise<void>;

/**
 * The slice of the domain event bus the calls domain uses: `record` makes an
 * outbox entry to write with the transition, `published` dispatches entries
 * once that write succeeded (and clears them from the record).
 */
export interface CallEventsPort {
  record<N extends Name>(name: N, payload: CallDomainEvents[N]): OutboxEntry;
  published(ref: { collection: "calls"; id: string }, entries: readonly OutboxEntry[]): Promise<void>;
}

/**
 * An in-process stand-in for the event bus: runs subscribers after the write
 * and clears the entries. Entries that a crash leaves in a record stay there
 * for the bus's outbox sweep (the `outbox.at` index) to re-dispatch.
 */
export class InProcessCallEvents implements CallEventsPort {
  private readonly listeners = new Map<Name, Array<Listener<Name>>>();

  constructor(
    private readonly clear: (callId: string, ids: readonly string[]) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  on<N extends Name>(name: N, listener: Listener<N>): void {
    const list = this.listeners.get(name) ?? [];
    list.push(listener as unknown as Listener<Name>);
    this.listeners.set(name, list);
  }

  record<N extends Name>(name: N, payload: CallDomainEvents[N]): OutboxEntry {
    return { id: randomUUID(), name, payload, at: new Date() };
  }

  async published(ref: { collection: "calls"; id: string }, entries: readonly OutboxEntry[]): Promise<void> {
    for (const entry of entries) {
      for (const listener of this.listeners.get(entry.name as Name) ?? []) {
        try {
          await listener(entry.payload as CallDomainEvents[Name], { eventId: entry.id });
        } catch (error) {
          this.logger.error({ err: error, event: entry.name, eventId: entry.id }, "call event subscriber failed");
        }
      }
    }
    await this.clear(ref.id, entries.map((e) => e.id));
  }
}
