import type pg from "pg";
import type { AccessControl } from "../access/access-control.js";
import type { ConversationService } from "../chat/conversation.service.js";
import type { Redis } from "../db/redis.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { Logger } from "../logging/logger.js";
import type { Realtime } from "../runtime/socket-events.js";
import { LastSeenRepository } from "./last-seen.repository.js";
import { LastSeenWriter } from "./last-seen.writer.js";
import type { InvalidationChannel } from "../realtime/invalidation-channel.js";
import { OnlineCache } from "./online-cache.js";
import { PresenceRepository } from "./presence.repository.js";
import { PresenceService } from "./presence.service.js";
import { TypingRepository } from "./typing.repository.js";
import { TypingService } from "./typing.service.js";

export interface PresenceModuleDeps {
  redis: Redis;
  pool: pg.Pool;
  access: AccessControl;
  conversations: ConversationService;
  realtime: Pick<Realtime, "emptyRoom" | "toRoom">;
  events: DomainEventBus;
  logger: Logger;
  ttlSeconds: number;
  maxDevicesPerUser: number;
  /** Offline transitions are announced here, and this process's OnlineCache listens. */
  invalidations?: InvalidationChannel;
}

/** Presence per device across replicas, last seen, the send path's short memory of who is connected, and typing. */
export function createPresenceModule(deps: PresenceModuleDeps) {
  const ttlMs = deps.ttlSeconds * 1000;
  const presence = new PresenceService(
    new PresenceRepository(deps.redis, { deviceTtlMs: ttlMs, keyTtlMs: ttlMs * 5, drainGraceMs: ttlMs }),
    new LastSeenWriter(new LastSeenRepository(deps.pool), deps.logger.child({ domain: "presence" })),
    deps.access,
    deps.logger,
    deps.maxDevicesPerUser,
    deps.realtime,
    deps.invalidations,
  );
  // The send path's view of who is connected (see online-cache.ts).
  const online = new OnlineCache(presence);
  deps.invalidations?.subscribe((invalidation) => {
    if (invalidation === "all") online.clear();
    else if (invalidation.offline) online.forget(invalidation.offline);
  });
  // Cheap and lossy by design: watchers that miss a reset see the next status change filtered anyway.
  deps.events.on("profile.visibility-narrowed", ({ userId }) => presence.forgetWatchers(userId));
  const typing = new TypingService(new TypingRepository(deps.redis), deps.conversations, deps.access);
  return { presence, online, typing, maintenanceTasks: [presence.reconcileTask()] };
}
