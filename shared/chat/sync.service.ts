import type { ChangeDoc } from "./change.repository.js";
import type { ChatDeps } from "./chat.deps.js";
import { toChange, toMessage, toReceipt } from "./chat.mappers.js";
import type { SyncInput } from "./chat.schema.js";
import type { ChatChange, SyncConversationResult, SyncResult } from "./chat.types.js";
import type { ConversationHead } from "./conversation.repository.js";
import type { MemberDoc } from "./member.repository.js";
import type { MessageDoc } from "./message.repository.js";
import { RECEIPT_FANOUT_LIMIT } from "./receipt.service.js";

/**
 * How long a seq may stay claimed but unwritten before sync treats it as lost.
 * Two sends race for seqs and may land out of order; a sync that returned seq
 * 6 while seq 5 was still being written would make the device skip 5. So a
 * gap younger than this stops the answer at the gap (`pending`).
 */
export const SETTLE_MS = 5_000;
/** Receipts are state: re-sending a few from before the cursor is harmless, missing one is not. */
const RECEIPTS_OVERLAP_MS = 2_000;
const MAX_RECEIPTS = RECEIPT_FANOUT_LIMIT;

type Entry = { seq: number; at: Date } & ({ message: MessageDoc } | { change: ChangeDoc });

/**
 * The source of truth for a device that was away: after its per-conversation
 * cursor it receives every message, edit, deletion and reaction, in seq order,
 * and the delivered/read cursors that moved since its last sync.
 */
export class SyncService {
  constructor(private readonly deps: ChatDeps) {}

  async sync(actorId: string, input: SyncInput, now = Date.now()): Promise<SyncResult> {
    const ids = input.conversations.map((c) => c.conversationId);
    const [members, heads] = await Promise.all([this.deps.members.forUser(actorId, ids), this.deps.conversations.findHeadsForMember(ids, actorId)]);
    const memberOf = new Map(members.map((m) => [m.conversationId, m]));
    const headOf = new Map(heads.map((h) => [h._id, h]));
    const since = input.receiptsSince ? new Date(input.receiptsSince) : undefined;
    const conversations = await Promise.all(
      input.conversations.map(({ conversationId, seq }) => {
        const member = memberOf.get(conversationId);
        const head = headOf.get(conversationId);
        if (!member || !head) return notFound(conversationId, seq);
        return this.one(actorId, head, member, seq, since, input.limit, now);
      }),
    );
    return { conversations, receiptsCursor: new Date(now - RECEIPTS_OVERLAP_MS).toISOString() };
  }

  private async one(
    actorId: string,
    head: ConversationHead,
    member: MemberDoc,
    cursor: number,
    since: Date | undefined,
    limit: number,
    now: number,
  ): Promise<SyncConversationResult> {
    const from = Math.min(Math.max(cursor, member.clearedSeq), head.lastSeq);
    const [messages, changes, receipts] = await Promise.all([
      from < head.lastSeq ? this.deps.messages.since(head._id, from, limit) : [],
      from < head.lastSeq ? this.deps.changes.since(head._id, from, limit) : [],
      head.memberCount <= RECEIPT_FANOUT_LIMIT ? this.deps.members.receiptsSince(head._id, since, MAX_RECEIPTS) : [member],
    ]);
    // Past the last seq of a full page, the other list may hold entries not fetched yet.
    const boundary = Math.min(
      messages.length === limit ? (messages[messages.length - 1] as MessageDoc).seq : Infinity,
      changes.length === limit ? (changes[changes.length - 1] as ChangeDoc).seq : Infinity,
    );
    const merged: Entry[] = [
      ...messages.map((m) => ({ seq: m.seq, at: m.createdAt, message: m })),
      ...changes.map((c) => ({ seq: c.seq, at: c.at, change: c })),
    ]
      .filter((e) => e.seq <= boundary)
      .sort((a, b) => a.seq - b.seq);
    const taken = merged.slice(0, limit);
    let hasMore = taken.length < merged.length || boundary !== Infinity;

    const out: ChatChange[] = [];
    let last = from;
    let pending = false;
    for (const entry of taken) {
      if (entry.seq > last + 1 && now - entry.at.getTime() < SETTLE_MS) {
        pending = true;
        hasMore = false;
        break;
      }
      last = entry.seq;
      const shown = this.show(actorId, entry);
      if (shown) out.push(shown);
    }
    if (!pending && !hasMore && last < head.lastSeq) {
      // Nothing stored after `last`: the rest are claims still being written, or lost ones.
      if (now - (head.lastSeqAt?.getTime() ?? 0) >= SETTLE_MS) last = head.lastSeq;
      else pending = true;
    }
    return {
      conversationId: head._id,
      status: "ok",
      changes: out,
      cursor: last,
      hasMore,
      pending,
      lastSeq: head.lastSeq,
      receipts: receipts.map(toReceipt),
    };
  }

  private show(actorId: string, entry: Entry): ChatChange | null {
    if ("message" in entry) {
      if (entry.message.hiddenFor.includes(actorId)) return null;
      return { kind: "message", conversationId: entry.message.conversationId, seq: entry.seq, message: toMessage(entry.message) };
    }
    if (entry.change.onlyFor && entry.change.onlyFor !== actorId) return null;
    return toChange(entry.change);
  }
}

function notFound(conversationId: string, cursor: number): SyncConversationResult {
  return { conversationId, status: "not_found", changes: [], cursor, hasMore: false, pending: false, lastSeq: 0, receipts: [] };
}
