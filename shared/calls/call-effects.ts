import type { CallRecord } from "../chat/chat.types.js";
import type { Logger } from "../logging/logger.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { AnyOutboxEntry } from "../events/domain-events.js";
import type { JobQueue } from "../queues/job-queue.js";
import { deviceRoom } from "../realtime/rooms.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { CallStateRepository } from "./call-state.repository.js";
import type { CallEndedHereEvent, IncomingCallEvent } from "./call.events.js";
import { RING_TIMEOUT_JOB, ringTimeoutJobId } from "./call.jobs.js";
import type { CallRepository } from "./call.repository.js";
import { FINAL_STATUSES, toCallView, type CallState, type StopReason } from "./call.types.js";

/** The chat seam: one record message per call, written once and updated in place. */
export interface CallRecordSink {
  post(conversationId: string, record: CallRecord): Promise<CallRecord | null>;
  update(conversationId: string, record: CallRecord): Promise<"missing" | "unchanged" | "updated">;
}

/** Who caused a transition (their acting device is spared the "stop ringing" it already knows about). */
export interface Cause {
  userId?: string;
  deviceId?: string;
}

const RECORD_STATUS = {
  ringing: "ringing",
  active: "answered",
  ended: "answered",
  missed: "missed",
  declined: "declined",
  cancelled: "cancelled",
  busy: "busy",
} as const;

export function toCallRecord(state: CallState): CallRecord {
  const record: CallRecord = {
    callId: state.id,
    mediaType: state.mediaType,
    status: RECORD_STATUS[state.status],
    durationSeconds: state.answeredAt && state.endedAt ? Math.max(0, Math.round((state.endedAt - state.answeredAt) / 1000)) : 0,
    initiatorId: state.initiatorId,
    startedAt: new Date(state.createdAt).toISOString(),
    version: state.version,
  };
  if (state.endedAt) record.endedAt = new Date(state.endedAt).toISOString();
  return record;
}

/**
 * What follows a transition the Redis scripts made, in order: the pushes to
 * devices (first, so "stop ringing" is never late behind a store write), the
 * per-user and per-conversation keys and the ring-timeout job, the durable
 * record in MongoDB (with the domain events in the same write), then the chat
 * record message.
 */
export class CallEffects {
  constructor(
    private readonly deps: {
      state: CallStateRepository;
      records: CallRepository;
      realtime: Pick<Realtime, "toUser" | "toUsers" | "toUserExcept" | "toRoom">;
      jobs: Pick<JobQueue, "cancel">;
      events: Pick<DomainEventBus, "record" | "published">;
      chatRecords: CallRecordSink;
      logger: Logger;
    },
  ) {}

  /** Rings every device of every invitee still ringing. */
  ring(state: CallState): void {
    const event: IncomingCallEvent = {
      callId: state.id,
      conversationId: state.conversationId,
      conversationType: state.conversationType,
      caller: { userId: state.initiatorId, deviceId: state.initiatorDeviceId },
      mediaType: state.mediaType,
      participantIds: Object.keys(state.parties),
      expiresAt: new Date(state.expiresAt).toISOString(),
      sentAt: new Date().toISOString(),
      version: state.version,
    };
    for (const [userId, party] of Object.entries(state.parties)) {
      if (party.state === "ringing") this.deps.realtime.toUser(userId, "call:incoming", event);
    }
  }

  /** Glare: both callers learn which call survived. */
  announceGlare(call: CallState, glare: { survivorId: string; replacedId: string }): void {
    this.deps.realtime.toUsers(Object.keys(call.parties), "call:glare", { ...glare, version: call.version });
  }

  /** Tells devices what changed between `prev` (null: a new call) and `next`. */
  announce(prev: CallState | null, next: CallState, cause: Cause): void {
    const { realtime } = this.deps;
    const ended = FINAL_STATUSES.has(next.status);
    for (const [userId, party] of Object.entries(next.parties)) {
      const before = prev?.parties[userId];
      const stop = (reason: StopReason, room?: string) => {
        const event: CallEndedHereEvent = { callId: next.id, reason, version: next.version };
        if (room) realtime.toRoom(room, "call:ended-here", event);
        else if (cause.userId === userId && cause.deviceId) realtime.toUserExcept(userId, deviceRoom(userId, cause.deviceId), "call:ended-here", event);
        else realtime.toUser(userId, "call:ended-here", event);
      };
      const replaced = next.endReason === "glare";
      if (before?.state === "ringing" && party.state !== "ringing") {
        stop(replaced ? "replaced" : this.stopReason(party.state, next));
      } else if (before?.state === "accepted" && party.deviceId && !(cause.userId === userId && cause.deviceId === party.deviceId)) {
        if (party.state === "left" || (ended && party.state === "accepted")) {
          stop(replaced ? "replaced" : party.state === "left" ? "left_elsewhere" : "ended", deviceRoom(userId, party.deviceId));
        }
      }
    }
    realtime.toUsers(Object.keys(next.parties), "call:state", toCallView(next));
  }

  /** Keys, jobs, the durable record, domain events and the chat record after a transition. */
  async settle(prev: CallState | null, next: CallState): Promise<void> {
    const { state, records, events, logger } = this.deps;
    const ended = FINAL_STATUSES.has(next.status);
    const wasEnded = prev !== null && FINAL_STATUSES.has(prev.status);
    const ringing = Object.values(next.parties).some((p) => p.state === "ringing");
    const chores: Array<Promise<unknown>> = [];
    if (ended && !wasEnded) {
      chores.push(
        state.releaseConversation(next.conversationId, next.id),
        state.releaseBusy(Object.keys(next.parties), next.id),
        state.unscheduleReap(next.id),
      );
    }
    if (prev !== null && !ringing) chores.push(this.cancelRingTimeout(next.id));
    const entries = this.domainEvents(prev, next, events);
    chores.push(
      (async () => {
        const saved = await records.save(next, entries);
        // A later transition was saved first: its write did not carry these entries.
        if (!saved && entries.length > 0) await records.pushOutbox(next.id, next.conversationId, entries);
        if (entries.length > 0) await events.published({ collection: "calls", filter: { _id: next.id, conversationId: next.conversationId } }, entries);
      })(),
    );
    // The record message is written when the call starts ringing and updated once, when it ends
    // (answered with its duration, missed, declined...): two chat writes per call.
    if (prev === null || (ended && !wasEnded)) chores.push(this.syncChatRecord(next));
    const results = await Promise.allSettled(chores);
    for (const result of results) {
      if (result.status === "rejected") logger.error({ err: result.reason, callId: next.id }, "call follow-up failed");
    }
  }

  /** `settle` without waiting (its failures are logged). */
  settleLater(prev: CallState | null, next: CallState): void {
    void this.settle(prev, next);
  }

  async cancelRingTimeout(callId: string): Promise<void> {
    try {
      await this.deps.jobs.cancel(RING_TIMEOUT_JOB, ringTimeoutJobId({ callId }));
    } catch (error) {
      // A timeout that is running now finds the call answered and does nothing.
      this.deps.logger.debug({ err: error, callId }, "ring timeout not removed");
    }
  }

  private stopReason(state: string, next: CallState): StopReason {
    switch (state) {
      case "accepted":
        return "answered_elsewhere";
      case "declined":
        return "declined_elsewhere";
      case "busy":
        return "busy";
      case "left":
        return "replaced";
      default:
        return next.endReason === "cancelled" ? "cancelled" : "missed";
    }
  }

  private domainEvents(prev: CallState | null, next: CallState, events: Pick<DomainEventBus, "record">): AnyOutboxEntry[] {
    const entries: AnyOutboxEntry[] = [];
    const at = new Date(next.updatedAt).toISOString();
    for (const [userId, party] of Object.entries(next.parties)) {
      const before = prev?.parties[userId]?.state;
      const missedNow = (party.state === "missed" || party.state === "busy") && before !== party.state;
      if (missedNow) {
        const reason = party.state === "busy" ? "busy" : next.endReason === "cancelled" ? "cancelled" : "timeout";
        entries.push(
          events.record("call.missed", { callId: next.id, userId, conversationId: next.conversationId, callerId: next.initiatorId, mediaType: next.mediaType, reason, at }),
        );
      }
    }
    if (FINAL_STATUSES.has(next.status) && (prev === null || !FINAL_STATUSES.has(prev.status))) {
      entries.push(
        events.record("call.ended", {
          callId: next.id,
          conversationId: next.conversationId,
          status: next.status,
          endReason: next.endReason ?? next.status,
          durationSeconds: toCallRecord(next).durationSeconds,
          participantIds: Object.keys(next.parties),
          at,
        }),
      );
    }
    return entries;
  }

  /**
   * Writes the call's record message, or updates it in place to this state.
   * A post that lost a race with a later transition (whose update found no
   * message yet) is brought up to the call's latest state right after.
   */
  private async syncChatRecord(next: CallState): Promise<void> {
    const { chatRecords, state } = this.deps;
    const record = toCallRecord(next);
    const outcome = await chatRecords.update(next.conversationId, record);
    // A call that gave way to another (glare) before its record was written gets none.
    if (outcome !== "missing" || next.endReason === "glare") return;
    const posted = await chatRecords.post(next.conversationId, record);
    const latest = await state.get(next.id);
    const newest = latest && latest.version > next.version ? latest : next;
    if (posted && (posted.version ?? 0) < newest.version) await chatRecords.update(next.conversationId, toCallRecord(newest));
  }
}
