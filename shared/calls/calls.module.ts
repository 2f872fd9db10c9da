import type { Db } from "mongodb";
import type { AccessControl } from "../access/access-control.js";
import type { ChatServices } from "../chat/chat.module.js";
import { DirectPermissionCache } from "../chat/direct-permission.cache.js";
import { subscribeChatCaches } from "../chat/chat-cache-invalidation.js";
import type { InvalidationChannel } from "../realtime/invalidation-channel.js";
import type { Config } from "../config/config.js";
import type { Redis } from "../db/redis.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { OutboxCollection } from "../events/outbox-sweeper.js";
import type { Logger } from "../logging/logger.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { JobHandler } from "../queues/jobs.js";
import type { Realtime } from "../runtime/socket-events.js";
import { CallEffects, type CallRecordSink } from "./call-effects.js";
import { CallHistoryService } from "./call-history.service.js";
import { CallSignalService } from "./call-signal.service.js";
import { CallStateRepository } from "./call-state.repository.js";
import { RING_TIMEOUT_JOB } from "./call.jobs.js";
import { CallRepository } from "./call.repository.js";
import { CallService } from "./call.service.js";
import { IceServerService } from "./ice-servers.service.js";

/** The calls domain as transports reach it (`services.calls`). */
export interface CallServices {
  /** The state machine: invite, accept, decline, hangup, resume, timeouts and the liveness sweep. */
  calls: CallService;
  /** The WebRTC relay between joined parties. */
  signals: CallSignalService;
  /** History and single calls. */
  history: CallHistoryService;
  /** STUN/TURN servers with time-limited TURN credentials. */
  iceServers: IceServerService;
}

export interface CallsModuleDeps {
  config: Config;
  db: Db;
  redis: Redis;
  realtime: Pick<Realtime, "toUser" | "toUsers" | "toUserExcept" | "toRoom">;
  jobs: JobQueue;
  events: DomainEventBus;
  logger: Logger;
  /** The chat seam (call-record messages) and membership of conversations. */
  chat: Pick<ChatServices, "conversations" | "messages" | "changes">;
  access: AccessControl;
  /** Drops cached "may message" answers on blocks and privacy changes made by any process. */
  invalidations?: InvalidationChannel;
}

/** Call records carry `call.missed` / `call.ended` (shard key: conversation). */
const CALLS_OUTBOX: OutboxCollection[] = [{ name: "calls", shardKey: ["conversationId"] }];

/** How long a finished call's state stays in Redis (late accepts, resumes and signals get CALL_ENDED, not "no such call"). */
const FINAL_STATE_TTL_MS = 10 * 60_000;

/** Builds the calls domain over its stores, the chat seam for call records, and access control. */
export function createCallsModule(deps: CallsModuleDeps) {
  const { config, chat } = deps;
  const logger = deps.logger.child({ domain: "calls" });
  const state = new CallStateRepository(deps.redis, FINAL_STATE_TTL_MS);
  const records = new CallRepository(deps.db);
  const chatRecords: CallRecordSink = {
    post: async (conversationId, record) => {
      const message = await chat.messages.postCallRecord(conversationId, record);
      return message.content?.type === "call" ? message.content.call : null;
    },
    update: async (conversationId, record) => {
      const outcome = await chat.changes.updateCallRecord(conversationId, record);
      return typeof outcome === "string" ? outcome : "updated";
    },
  };
  const effects = new CallEffects({ state, records, realtime: deps.realtime, jobs: deps.jobs, events: deps.events, chatRecords, logger });
  // "Who can message" answers are reused until an invalidation drops them, as on the chat send path.
  const permissions = new DirectPermissionCache(deps.access);
  if (deps.invalidations) subscribeChatCaches(deps.invalidations, { permissions });
  const calls = new CallService(
    state,
    effects,
    chat.conversations,
    { canMessage: (a, b) => permissions.canMessage(a, b), blockedAmong: (a, others) => deps.access.blockedAmong(a, others) },
    deps.jobs,
    {
      ringTimeoutMs: config.CALL_RING_TIMEOUT_MS,
      maxParticipants: config.CALL_MAX_PARTICIPANTS,
      glareWindowMs: config.CALL_GLARE_WINDOW_MS,
      partyGraceMs: config.CALL_PARTY_GRACE_MS,
      maxDurationMs: config.CALL_MAX_DURATION_MS,
    },
    logger,
  );
  const services: CallServices = {
    calls,
    signals: new CallSignalService(state),
    history: new CallHistoryService(records, state),
    iceServers: new IceServerService({ stunUrls: config.STUN_URLS, turnUrls: config.TURN_URLS, turnSecret: config.TURN_SECRET, turnTtlSeconds: config.TURN_TTL_SECONDS }),
  };
  const ringTimeout: JobHandler<typeof RING_TIMEOUT_JOB> = ({ callId }) => calls.timeout(callId);
  return { services, jobHandlers: { [RING_TIMEOUT_JOB]: ringTimeout }, outboxCollections: CALLS_OUTBOX };
}
