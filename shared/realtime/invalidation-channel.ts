import type { Logger } from "../logging/logger.js";
import { closeRedis, createRedis, type Redis, type RedisTarget } from "../db/redis.js";

/** What in-process caches drop: answers about users, about pairs of users, conversations' member lists, or who is connected. */
export interface Invalidation {
  users?: string[];
  pairs?: Array<[string, string]>;
  /** A conversation's member list changed to `version` (lists older than that are dropped). */
  conversations?: Array<{ id: string; version: number }>;
  /** Users whose last device went away: "connected" answers about them are dropped. */
  offline?: string[];
}

type Handler = (invalidation: Invalidation | "all") => void;

/**
 * Tells every process (gateway replicas, API, workers) to drop cached answers
 * at once: one Redis pub/sub channel, `<REDIS_PREFIX>cache-invalidation`.
 * In-process domain events reach only the process that emitted them; this is
 * how the in-process caches of every other process hear of a block, a privacy
 * change or a membership change. The publishing process applies the
 * invalidation to itself synchronously, before the PUBLISH is even sent.
 * Pub/sub is lossy across a disconnect, so when the subscriber reconnects
 * every handler is told to drop everything ("all").
 */
export class InvalidationChannel {
  private readonly handlers: Handler[] = [];
  private subscriber: Redis | undefined;
  private publisher: Redis | undefined;
  private readonly channel: string;

  constructor(
    private readonly redisUrl: RedisTarget | string,
    prefix: string,
    private readonly logger: Logger,
  ) {
    this.channel = `${prefix}cache-invalidation`;
  }

  /**
   * Applies `invalidation` here, then sends it to every other process; resolves
   * once Redis has handed it to every subscriber (never rejects).
   */
  publish(invalidation: Invalidation): Promise<void> {
    this.deliver(invalidation);
    // Its own connection, without auto-pipelining: the PUBLISH is written before the
    // caller answers its client, so the other processes drop the entry before that
    // client's next request can reach them.
    this.publisher ??= createRedis(this.redisUrl, "pub", this.logger);
    return this.publisher.publish(this.channel, JSON.stringify(invalidation)).then(() => undefined, (error: unknown) => {
      // Other processes keep their entries until their TTL: log loudly, it delays a block taking effect.
      this.logger.error({ err: error }, "cache invalidation not published");
    });
  }

  /** Runs `handler` for every invalidation, from this process or another. Subscribes on first use. */
  subscribe(handler: Handler): void {
    this.handlers.push(handler);
    if (this.subscriber) return;
    const subscriber = createRedis(this.redisUrl, "sub", this.logger);
    this.subscriber = subscriber;
    let subscribedOnce = false;
    subscriber.on("ready", () => {
      // ioredis resubscribes by itself after a reconnect; whatever was published meanwhile is lost.
      if (subscribedOnce) this.deliver("all");
      subscribedOnce = true;
    });
    subscriber.on("message", (channel: string, text: string) => {
      if (channel !== this.channel) return;
      try {
        this.deliver(JSON.parse(text) as Invalidation);
      } catch (error) {
        this.logger.warn({ err: error }, "malformed cache invalidation ignored");
      }
    });
    subscriber.subscribe(this.channel).catch((error: unknown) => this.logger.error({ err: error }, "could not subscribe to cache invalidations"));
  }

  /** Resolves once the subscription is active (tests, start-up). */
  async ready(): Promise<void> {
    if (!this.subscriber) return;
    await this.subscriber.subscribe(this.channel);
  }

  async close(): Promise<void> {
    const connections = [this.subscriber, this.publisher];
    this.subscriber = this.publisher = undefined;
    await Promise.all(connections.map((redis) => redis && closeRedis(redis)));
  }

  private deliver(invalidation: Invalidation | "all"): void {
    for (const handler of this.handlers) {
      try {
        handler(invalidation);
      } catch (error) {
        this.logger.warn({ err: error }, "cache invalidation handler failed");
      }
    }
  }
}
