import type { AccessControl } from "../access/access-control.js";
import type { ChatServices } from "../chat/chat.module.js";
import { DirectPermissionCache } from "../chat/direct-permission.cache.js";
import type { Platform } from "../runtime/platform.js";
import { CallEffects, type CallRecordSink } from "./call-effects.js";
import { InProcessCallEvents } from "./call-events.port.js";
import { CallHistoryService } from "./call-history.service.js";
import { CallSignalService } from "./call-signal.service.js";
import { CallStateRepository } from "./call-state.repository.js";
import { RING_TIMEOUT_JOB, type RingTimeoutPayload } from "./call.jobs.js";
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
  /** Subscribes to the domain's events (notifications consume `call.missed`). */
  events: InProcessCallEvents;
}

export interface CallsModule {
  services: CallServices;
  jobHandlers: { [RING_TIMEOUT_JOB]: (payload: RingTimeoutPayload) => Promise<unknown> };
  outboxCollections: readonly string[];
}

/** Builds the calls domain over the platform's stores, the chat seam for call records, and access control. */
export function createCallsModule(platform: Platform, deps: { chat: ChatServices; access: AccessControl }): CallsModule {
  const { config } = platform;
  const logger = platform.logger.child({ domain: "calls" });
  const state = new CallStateRepository(platform.redis, 10 * 60_000);
  const records = new CallRepository(platform.mongo.db);
  const events = new InProcessCallEvents((callId, ids) => records.clearOutbox(callId, ids), logger);
  const chatRecords: CallRecordSink = {
    post: async (conversationId, record) => {
      const message = await deps.chat.messages.postCallRecord(conversationId, record);
      return message.content?.type === "call" ? message.content.call : null;
    },
    update: async (conversationId, record) => {
      const outcome = await deps.chat.changes.updateCallRecord(conversationId, record);
      return typeof outcome === "string" ? outcome : "updated";
    },
  };
  const permissions = new DirectPermissionCache(deps.access);
  const effects = new CallEffects({ state, records, realtime: platform.realtime, jobs: platform.jobs, events, chatRecords, logger });
  const calls = new CallService(
    state,
    effects,
    deps.chat.conversations,
    // "Who can message" answers are reused for a few seconds, as on the chat send path.
    { canMessage: (a, b) => permissions.canMessage(a, b), blockedAmong: (a, others) => deps.access.blockedAmong(a, others) },
    platform.jobs,
    {
      ringTimeoutMs: config.CALL_RING_TIMEOUT_MS,
      maxParticipants: config.CALL_MAX_PARTICIPANTS,
      glareWindowMs: config.CALL_GLARE_WINDOW_MS,
      partyGraceMs: config.CALL_PARTY_GRACE_MS,
      maxDurationMs: config.CALL_MAX_DURATION_MS,
    },
    logger,
  );
  return {
    services: {
      calls,
      signals: new CallSignalService(state),
      history: new CallHistoryService(records, state),
      iceServers: new IceServerService({ stunUrls: config.STUN_URLS, turnUrls: config.TURN_URLS, turnSecret: config.TURN_SECRET, turnTtlSeconds: config.TURN_TTL_SECONDS }),
      events,
    },
    jobHandlers: { [RING_TIMEOUT_JOB]: ({ callId }) => calls.timeout(callId) },
    outboxCollections: ["calls"],
  };
}
