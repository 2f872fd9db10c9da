import { randomUUID } from "node:crypto";
import type { Logger } from "../logging/logger.js";
import type { AnyOutboxEntry, DomainEvents, EventName, OutboxEntry } from "./domain-events.js";
import type { OutboxRef } from "./outbox.repository.js";

/**
 * An in-process reaction: cheap, may be lost with the process, never fails the
 * write. One that returns a promise is awaited by `published`/`emit` (e.g. the
 * cache invalidation's PUBLISH, so it is out before the caller answers its client).
 */
export type LocalHandler<N extends EventName> = (payload: DomainEvents[N], meta: { eventId?: string }) => void | Promise<void>;

/** What a durable subscriber is told besides the payload. */
export interface DurableContext {
  /** The same on every redelivery of this event: key idempotent effects on it. */
  eventId: string;
  at: Date;
  log: Logger;
}

export type DurableHandler<N extends EventName> = (payload: DomainEvents[N], context: DurableContext) => Promise<void>;

export interface DurableOptions {
  /**
   * Also try the handler in the publishing process right after the write (its
   * result is awaited by `published`): the job is then only the safety net for
   * a failure or a process that dies. For reactions the caller's answer shows.
   */
  inline?: boolean;
}

interface DurableSubscriber {
  id: string;
  event: EventName;
  handler: DurableHandler<EventName>;
  inline: boolean;
}

/** The delivery job's data: one durable subscriber, one event. */
export interface DeliveryJob {
  eventId: string;
  name: string;
  subscriber: string;
  payload: Record<string, unknown>;
  at: string;
}

/** Where the bus hands work: the job queue, and the stores holding the markers. */
export interface OutboxPorts {
  enqueue(jobs: readonly DeliveryJob[]): Promise<void>;
  clear(items: ReadonlyArray<{ ref: OutboxRef; entryId: string }>): Promise<void>;
}

export interface EventBusOptions {
  /** Test hook: record markers but never dispatch or clear them (a process that died right after its write). */
  hold?: boolean;
}

const SUBSCRIBER_ID = /^[a-z0-9.-]{1,64}$/;

/**
 * Domain events. A service records an entry in the same write as the change it
 * announces (`record`, stored in the document's `outbox` or the PostgreSQL
 * outbox table), then calls `published` once the write succeeded: in-process
 * subscribers run, inline durable subscribers are tried, one delivery job per
 * remaining durable subscriber is enqueued (id `ev-<eventId>-<subscriber>`),
 * and the marker is cleared. Enqueues and clears are batched per tick. A
 * process killed in between leaves the marker; the sweep re-dispatches it, and
 * the job id makes a second dispatch a no-op.
 */
export class DomainEventBus {
  private readonly local = new Map<EventName, Array<LocalHandler<EventName>>>();
  private readonly durables = new Map<EventName, DurableSubscriber[]>();
  private readonly byId = new Map<string, DurableSubscriber>();
  private pendingJobs: DeliveryJob[] = [];
  private pendingClears: Array<{ ref: OutboxRef; entryId: string }> = [];
  private flushing: Promise<void> | undefined;
  private scheduled = false;

  constructor(
    private readonly ports: OutboxPorts,
    private readonly logger: Logger,
    private readonly options: EventBusOptions = {},
  ) {}

  /** Subscribes an in-process reaction. */
  on<N extends EventName>(name: N, handler: LocalHandler<N>): void {
    const list = this.local.get(name) ?? [];
    list.push(handler as LocalHandler<EventName>);
    this.local.set(name, list);
  }

  /** Subscribes work that must happen once per event, run by the `events` queue's workers. */
  durable<N extends EventName>(name: N, subscriberId: string, handler: DurableHandler<N>, options: DurableOptions = {}): void {
    if (!SUBSCRIBER_ID.test(subscriberId)) throw new Error(`Invalid durable subscriber id "${subscriberId}"`);
    if (this.byId.has(subscriberId)) throw new Error(`Durable subscriber "${subscriberId}" is registered twice`);
    const subscriber: DurableSubscriber = { id: subscriberId, event: name, handler: handler as DurableHandler<EventName>, inline: options.inline ?? false };
    this.byId.set(subscriberId, subscriber);
    this.durables.set(name, [...(this.durables.get(name) ?? []), subscriber]);
  }

  /** A new outbox entry, to be written with the domain change. */
  record<N extends EventName>(name: N, payload: DomainEvents[N]): OutboxEntry<N> {
    return { id: randomUUID(), name, payload, at: new Date() };
  }

  /** Tells in-process subscribers only (for reactions that may be lost); resolves once the async ones finished (never rejects). */
  emit<N extends EventName>(name: N, payload: DomainEvents[N]): Promise<void> {
    return this.runLocal(name, payload, undefined);
  }

  /**
   * The write holding `entries` (at `ref`; null when none was stored) succeeded. Resolves once inline subscribers
   * have run; enqueueing and clearing continue in the background (`flush`
   * waits for them).
   */
  async published(ref: OutboxRef | null, entries: readonly AnyOutboxEntry[]): Promise<void> {
    const local = Promise.all(entries.map((entry) => this.runLocal(entry.name, entry.payload, entry.id)));
    if (this.options.hold) {
      await local;
      return;
    }
    for (const entry of entries) {
      const subscribers = this.durables.get(entry.name) ?? [];
      const done = new Set<string>();
      for (const subscriber of subscribers.filter((s) => s.inline)) {
        try {
          await subscriber.handler(entry.payload, { eventId: entry.id, at: entry.at, log: this.logger });
          done.add(subscriber.id);
        } catch (error) {
          this.logger.warn({ err: error, event: entry.name, subscriber: subscriber.id }, "inline subscriber failed; its job will retry");
        }
      }
      for (const subscriber of subscribers) if (!done.has(subscriber.id)) this.pendingJobs.push(deliveryJob(entry, subscriber.id));
      // A null ref: nothing was stored (no durable subscriber listens, so the write carried no marker).
      if (ref) this.pendingClears.push({ ref, entryId: entry.id });
    }
    this.schedule();
    await local;
  }

  /** The write the entries were recorded for turned out to change nothing: clear them unannounced. */
  discard(ref: OutboxRef, entries: readonly AnyOutboxEntry[]): void {
    if (this.options.hold) return;
    for (const entry of entries) this.pendingClears.push({ ref, entryId: entry.id });
    this.schedule();
  }

  /** Re-dispatches entries found by the sweep (no inline attempt: their process is presumed dead). */
  async redispatch(items: ReadonlyArray<{ ref: OutboxRef; entry: AnyOutboxEntry }>): Promise<number> {
    const jobs = items.flatMap(({ entry }) => (this.durables.get(entry.name) ?? []).map((s) => deliveryJob(entry, s.id)));
    if (jobs.length > 0) await this.ports.enqueue(jobs);
    await this.ports.clear(items.map(({ ref, entry }) => ({ ref, entryId: entry.id })));
    return jobs.length;
  }

  /** Runs one durable subscriber for one event (the `events.deliver` job). */
  async deliver(job: DeliveryJob, log: Logger): Promise<{ delivered: string } | { skipped: string }> {
    const subscriber = this.byId.get(job.subscriber);
    if (!subscriber || subscriber.event !== job.name) return { skipped: `no subscriber "${job.subscriber}" for ${job.name}` };
    await subscriber.handler(job.payload as DomainEvents[EventName], { eventId: job.eventId, at: new Date(job.at), log });
    return { delivered: job.subscriber };
  }

  /** Whether any durable subscriber listens to `name` (writes without one need no marker). */
  hasDurable(name: EventName): boolean {
    return (this.durables.get(name)?.length ?? 0) > 0;
  }

  /** Waits until every enqueue and clear scheduled so far is done (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.flushing || this.pendingJobs.length > 0 || this.pendingClears.length > 0) {
      await (this.flushing ?? this.runFlush());
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.flushing) void this.runFlush();
    });
  }

  private runFlush(): Promise<void> {
    // With nothing to do the async body below would finish synchronously and clear
    // `flushing` before it is assigned, leaving a settled promise that `flush` awaits forever.
    if (this.pendingJobs.length === 0 && this.pendingClears.length === 0) return Promise.resolve();
    const jobs = this.pendingJobs;
    const clears = this.pendingClears;
    this.pendingJobs = [];
    this.pendingClears = [];
    // Nothing to do (e.g. published with no stored marker and no durable subscriber): with no await
    // inside, the async body below would run its `finally` before `flushing` is assigned, leaving a
    // settled promise there for good and every later flush waiting behind it.
    if (jobs.length === 0 && clears.length === 0) return Promise.resolve();
    this.flushing = (async () => {
      try {
        // Clearing only after the enqueue: a failed enqueue leaves the markers for the sweep.
        if (jobs.length > 0) await this.ports.enqueue(jobs);
        if (clears.length > 0) await this.ports.clear(clears);
      } catch (error) {
        this.logger.warn({ err: error, jobs: jobs.length }, "event dispatch failed; the outbox sweep will retry");
      } finally {
        this.flushing = undefined;
        if (this.pendingJobs.length > 0 || this.pendingClears.length > 0) this.schedule();
      }
    })();
    return this.flushing;
  }

  private runLocal(name: EventName, payload: unknown, eventId: string | undefined): Promise<void> {
    const pending: Array<Promise<void>> = [];
    for (const handler of this.local.get(name) ?? []) {
      try {
        const result = handler(payload as DomainEvents[EventName], { eventId });
        if (result instanceof Promise) pending.push(result.catch((error: unknown) => this.logger.warn({ err: error, event: name }, "event subscriber failed")));
      } catch (error) {
        this.logger.warn({ err: error, event: name }, "event subscriber failed");
      }
    }
    return pending.length === 0 ? Promise.resolve() : Promise.all(pending).then(() => undefined);
  }
}

function deliveryJob(entry: AnyOutboxEntry, subscriber: string): DeliveryJob {
  return { eventId: entry.id, name: entry.name, subscriber, payload: entry.payload as unknown as Record<string, unknown>, at: new Date(entry.at).toISOString() };
}
