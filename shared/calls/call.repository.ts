import type { Collection, Db, Filter } from "mongodb";
import type { AnyOutboxEntry } from "../events/domain-events.js";
import { isDuplicateKeyError } from "../social/duplicate-key.js";
import type { CallState, CallStatus, MediaType, ParticipantState } from "./call.types.js";

type OutboxEntry = AnyOutboxEntry;

export interface CallDoc {
  _id: string;
  roomId: string;
  conversationId: string;
  conversationType: "direct" | "group";
  initiatorId: string;
  participants: Array<{ userId: string; state: ParticipantState; deviceId?: string; answeredAt?: Date; updatedAt: Date }>;
  mediaType: MediaType;
  status: CallStatus;
  events: Array<{ type: string; userId?: string; deviceId?: string; reason?: string; payload?: Record<string, unknown> | null; createdAt: Date }>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  answeredAt?: Date;
  endedAt?: Date;
  endReason?: string | null;
  endedBy?: string | null;
  durationSeconds?: number;
  replacedBy?: string;
  metadata: Record<string, unknown> | null;
  signalPayload: null;
  missedUserIds: string[];
  outbox?: OutboxEntry[];
}

export interface HistoryFilter {
  status?: CallStatus;
  mediaType?: MediaType;
  peer?: string;
  missedOnly?: boolean;
  before?: { at: Date; id: string };
}

/** The record a call's state projects to. */
export function toCallDoc(state: CallState): Omit<CallDoc, "outbox"> {
  const at = (ms: number) => new Date(ms);
  const doc: Omit<CallDoc, "outbox"> = {
    _id: state.id,
    roomId: state.id,
    conversationId: state.conversationId,
    conversationType: state.conversationType,
    initiatorId: state.initiatorId,
    participants: Object.entries(state.parties).map(([userId, p]) => ({
      userId,
      state: p.state,
      ...(p.deviceId ? { deviceId: p.deviceId } : {}),
      ...(p.answeredAt ? { answeredAt: at(p.answeredAt) } : {}),
      updatedAt: at(p.at),
    })),
    mediaType: state.mediaType,
    status: state.status,
    events: state.events.map((e) => ({
      type: e.type,
      ...(e.userId ? { userId: e.userId } : {}),
      ...(e.deviceId ? { deviceId: e.deviceId } : {}),
      ...(e.reason ? { reason: e.reason } : {}),
      createdAt: at(e.at),
    })),
    version: state.version,
    createdAt: at(state.createdAt),
    updatedAt: at(state.updatedAt),
    endReason: state.endReason ?? null,
    endedBy: state.endedBy ?? null,
    metadata: null,
    signalPayload: null,
    missedUserIds: Object.entries(state.parties).filter(([, p]) => p.state === "missed").map(([userId]) => userId),
  };
  if (state.answeredAt) doc.answeredAt = at(state.answeredAt);
  if (state.endedAt) {
    doc.endedAt = at(state.endedAt);
    doc.durationSeconds = state.answeredAt ? Math.max(0, Math.round((state.endedAt - state.answeredAt) / 1000)) : 0;
  }
  if (state.replacedBy) doc.replacedBy = state.replacedBy;
  return doc;
}

/** The `calls` collection. Every query is served by one of the seed indexes. */
export class CallRepository {
  private readonly calls: Collection<CallDoc>;

  constructor(db: Db) {
    this.calls = db.collection<CallDoc>("calls");
  }

  /**
   * Writes the state's projection unless the record already holds this
   * version or a later one (writes from racing transitions land in any order).
   * `outbox` entries are pushed in the same write. Answers whether it wrote.
   */
  async save(state: CallState, outbox: readonly OutboxEntry[] = []): Promise<boolean> {
    const { _id, roomId, createdAt, ...rest } = toCallDoc(state);
    const update: Record<string, unknown> = { $set: rest, $setOnInsert: { roomId, createdAt } };
    if (outbox.length > 0) update.$push = { outbox: { $each: outbox } };
    try {
      // The conversation (the shard key) in the filter: a sharded cluster routes an upsert by it.
      const result = await this.calls.updateOne({ _id, conversationId: rest.conversationId, version: { $lt: state.version } }, update, { upsert: true });
      return result.modifiedCount + result.upsertedCount > 0;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Adds domain events to a record whose projection a later transition already wrote. */
  async pushOutbox(callId: string, conversationId: string, entries: readonly OutboxEntry[]): Promise<void> {
    await this.calls.updateOne({ _id: callId, conversationId }, { $push: { outbox: { $each: [...entries] } } });
  }

  /**
   * One call record: targeted when the conversation is known (a call under way);
   * otherwise a marked scatter-gather, one `_id` lookup per shard, for the detail
   * view of an ended call (`GET /calls/:id`, a user opening one past call).
   */
  async findById(callId: string, conversationId?: string): Promise<CallDoc | null> {
    if (conversationId) return this.calls.findOne({ _id: callId, conversationId }, { projection: { outbox: 0 } });
    return this.calls.findOne({ _id: callId }, { projection: { outbox: 0 }, comment: "scatter-gather: GET /calls/:id of an ended call, one _id lookup per shard, a user opening one past call" });
  }

  /** A page of a user's calls, most recently changed first. */
  async history(userId: string, filter: HistoryFilter, limit: number): Promise<{ calls: CallDoc[]; hasMore: boolean }> {
    const query: Filter<CallDoc> = { "participants.userId": userId };
    // With `status`, the seed's participants/status/updatedAt index serves it; otherwise participants/updatedAt.
    if (filter.status) query.status = filter.status;
    if (filter.mediaType) query.mediaType = filter.mediaType;
    const and: Filter<CallDoc>[] = [];
    if (filter.peer) and.push({ "participants.userId": filter.peer });
    if (filter.missedOnly) query.missedUserIds = userId;
    if (filter.before) {
      and.push({ $or: [{ updatedAt: { $lt: filter.before.at } }, { updatedAt: filter.before.at, _id: { $lt: filter.before.id } }] });
    }
    if (and.length > 0) query.$and = and;
    const docs = await this.calls
      // Calls are sharded by conversation: a user's history is a bounded scatter-gather (one `limit` page per shard, merged).
      .find(query, { projection: { outbox: 0 }, comment: "scatter-gather: a user's call history page (limit + 1 per shard over participants_updatedAt), opened from the calls tab" })
      .sort({ updatedAt: -1, _id: -1 })
      .limit(limit + 1)
      .toArray();
    return { calls: docs.slice(0, limit), hasMore: docs.length > limit };
  }
}
