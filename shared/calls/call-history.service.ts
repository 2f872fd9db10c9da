import { AppError } from "../errors/app-error.js";
import { decodeTimeCursor, encodeTimeCursor } from "../chat/list-cursor.js";
import type { CallRepository, CallDoc } from "./call.repository.js";
import type { HistoryQuery } from "./call.schema.js";
import type { CallStateRepository } from "./call-state.repository.js";
import { toCallView, type CallView } from "./call.types.js";

/** A call in a user's history (from the durable record). */
export interface CallHistoryItem {
  id: string;
  conversationId: string;
  conversationType: "direct" | "group";
  mediaType: "audio" | "video";
  initiatorId: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  answeredAt?: string;
  endedAt?: string;
  endReason?: string | null;
  endedBy?: string | null;
  durationSeconds: number;
  participants: Array<{ userId: string; state: string }>;
  events: Array<{ type: string; userId?: string; reason?: string; createdAt: string }>;
}

function toItem(doc: CallDoc): CallHistoryItem {
  const item: CallHistoryItem = {
    id: doc._id,
    conversationId: doc.conversationId,
    conversationType: doc.conversationType,
    mediaType: doc.mediaType,
    initiatorId: doc.initiatorId,
    status: doc.status,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
    endReason: doc.endReason ?? null,
    endedBy: doc.endedBy ?? null,
    durationSeconds: doc.durationSeconds ?? 0,
    participants: doc.participants.map((p) => ({ userId: p.userId, state: p.state })),
    events: doc.events.map((e) => ({ type: e.type, ...(e.userId ? { userId: e.userId } : {}), ...(e.reason ? { reason: e.reason } : {}), createdAt: e.createdAt.toISOString() })),
  };
  if (doc.answeredAt) item.answeredAt = doc.answeredAt.toISOString();
  if (doc.endedAt) item.endedAt = doc.endedAt.toISOString();
  return item;
}

/** Call history and single calls, for participants only. */
export class CallHistoryService {
  constructor(
    private readonly records: CallRepository,
    private readonly state: CallStateRepository,
  ) {}

  async history(userId: string, query: HistoryQuery): Promise<{ items: CallHistoryItem[]; nextCursor: string | null }> {
    const before = query.cursor ? decodeTimeCursor(query.cursor) : undefined;
    const { calls, hasMore } = await this.records.history(
      userId,
      {
        ...(query.status ? { status: query.status } : {}),
        ...(query.mediaType ? { mediaType: query.mediaType } : {}),
        ...(query.peer ? { peer: query.peer } : {}),
        ...(query.missedOnly ? { missedOnly: true } : {}),
        ...(before ? { before } : {}),
      },
      query.limit,
    );
    const last = calls[calls.length - 1];
    return { items: calls.map(toItem), nextCursor: hasMore && last ? encodeTimeCursor(last.updatedAt, last._id) : null };
  }

  /** One call: its live state while under way, and its record. A non-participant gets CALL_NOT_FOUND. */
  async get(userId: string, callId: string): Promise<{ call: CallHistoryItem; live: CallView | null }> {
    // A call under way names its conversation (the shard key) in its live state; an ended one is looked up by id alone.
    const live = await this.state.get(callId);
    const doc = await this.records.findById(callId, live?.conversationId);
    if (!doc || !doc.participants.some((p) => p.userId === userId)) throw new AppError("CALL_NOT_FOUND", "No such call");
    return { call: toItem(doc), live: live && live.parties[userId] ? toCallView(live) : null };
  }
}
