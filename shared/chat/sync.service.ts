import type { ChangeDoc, ChangeRepository } from "./change.repository.js";
import type { Actor } from "../auth/actor.js";
import type { ConversationRepository, ConversationHead } from "./conversation.repository.js";
import type { MemberRepository, MemberDoc } from "./member.repository.js";
import type { MessageRepository, MessageDoc } from "./message.repository.js";
import { toChange, toMessage, toReceipt } from "./chat.mappers.js";
import type { SyncInput } from "./chat.schema.js";
import type { ChatChange, SyncConversationResult, SyncResult } from "./chat.types.js";
import { RECEIPT_FANOUT_LIMIT } from "./receipt.service.js";

/** Default of CHAT_GAP_WINDOW_MS: how long a claimed but unwritten seq holds sync back. */
export const DEFAULT_GAP_WINDOW_MS = 5_000;
/**
 * One sync answer, as JSON inside its acknowledgement (`{"ok":true,"data":…}`),
 * stays within this many bytes: its changes stop there and `hasMore` says to sync again.
 */
export const SYNC_MAX_BYTES = 1_000_000;
/** Conversations walked at once; later ones are read only while the answer has room. */
const SYNC_PARALLEL = 8;
/** What the acknowledgement wraps the answer in: `{"ok":true,"data":` and `}`. */
const ACK_WRAPPER_BYTES = Buffer.byteLength('{"ok":true,"data":}');
/** Receipts are state: re-sending a few from before the cursor is harmless, missing one is not. */
const RECEIPTS_OVERLAP_MS = 2_000;
const MAX_RECEIPTS = RECEIPT_FANOUT_LIMIT;
/** Gaps one conversation's sync voids before it answers `hasMore` instead. */
const MAX_VOID_ROUNDS = 4;

type Entry = { seq: number; at: Date } & ({ message: MessageDoc } | { change: ChangeDoc });

/** One seq of the answer: what the device is shown (null: a void, or hidden from this member). */
interface Step {
  seq: number;
  shown: ChatChange | null;
  /** Its size as JSON, once measured. */
  bytes?: number;
}

/** One conversation's answer before the byte budget is applied: its steps, and the cursor it started from. */
interface Part {
  result: SyncConversationResult;
  steps: Step[];
  from: number;
}

/** A walk over the stored entries after a cursor. */
interface Walk {
  steps: Step[];
  /** The last seq the walk covered. */
  last: number;
  hasMore: boolean;
  pending: boolean;
  /** Seqs right after `last` claimed long ago and still unwritten: to be voided before passing them. */
  stale: number[];
}

/**
 * The source of truth for a device that was away: after its per-conversation
 * cursor it receives every message, edit, deletion and reaction, in seq order,
 * and the delivered/read cursors that moved since its last sync.
 *
 * Invariant: nothing is ever stored at or below a cursor sync has handed out.
 * Two sends race for seqs and may land out of order, so a gap (a seq claimed
 * but not yet written) younger than the gap window stops the answer there
 * (`pending`). An older gap is passed only after it is voided in the store: a
 * void filler is inserted at each of its seqs in `messages` and in
 * `message_changes` (in that order), whose unique `{conversationId, seq}`
 * indexes make the void and a late write mutually exclusive. The late write
 * then fails and is retried under a new seq before it is acknowledged; if it
 * won the race, the next read shows it. A void message without its void change
 * (a sync interrupted in between) is not passed until the change is voided too.
 */
export class SyncService {
  constructor(
    private readonly conversations: ConversationRepository,
    private readonly members: MemberRepository,
    private readonly messages: MessageRepository,
    private readonly changes: ChangeRepository,
    private readonly gapWindowMs = DEFAULT_GAP_WINDOW_MS,
    private readonly maxBytes = SYNC_MAX_BYTES,
  ) {}

  async sync(actor: Actor, input: SyncInput, now = Date.now()): Promise<SyncResult> {
    const actorId = actor.userId;
    const ids = input.conversations.map((c) => c.conversationId);
    const [members, heads] = await Promise.all([this.members.forUser(actorId, ids), this.conversations.findHeadsForMember(ids, actorId)]);
    const memberOf = new Map(members.map((m) => [m.conversationId, m]));
    const headOf = new Map(heads.map((h) => [h._id, h]));
    const since = input.receiptsSince ? new Date(input.receiptsSince) : undefined;
    // In request order, a few conversations at a time: once the entries read fill an answer, the
    // rest only get their receipts and `hasMore`, instead of being read to be cut away. After the
    // first few, the entries' average size says how many more conversations, and entries, fit.
    const parts: Part[] = [];
    let [read, entries] = [0, 0];
    for (let start = 0; start < input.conversations.length; ) {
      const room = this.maxBytes - read;
      const perEntry = entries > 0 ? read / entries : 0;
      const fits = perEntry > 0 ? Math.ceil(room / perEntry) : input.limit * SYNC_PARALLEL;
      const count = room <= 0 ? SYNC_PARALLEL : Math.max(1, Math.min(SYNC_PARALLEL, Math.ceil(fits / input.limit)));
      const limit = Math.max(1, Math.min(input.limit, fits));
      const chunk = await Promise.all(
        input.conversations.slice(start, start + count).map(async ({ conversationId, seq }): Promise<Part> => {
          const member = memberOf.get(conversationId);
          const head = headOf.get(conversationId);
          if (!member || !head) return { result: notFound(conversationId, seq), steps: [], from: seq };
          return room <= 0 ? this.untouched(head, member, seq, since) : this.one(actorId, head, member, seq, since, limit, now);
        }),
      );
      for (const part of chunk) {
        for (const step of part.steps) {
          if (!step.shown) continue;
          read += step.bytes ??= jsonBytes(step.shown);
          entries++;
        }
      }
      parts.push(...chunk);
      start += count;
    }
    const receiptsCursor = new Date(now - RECEIPTS_OVERLAP_MS).toISOString();
    return { conversations: this.withinBudget(parts, receiptsCursor), receiptsCursor };
  }

  /** A conversation the answer has no room for: its receipts, and `hasMore` when anything is stored after the cursor. */
  private async untouched(head: ConversationHead, member: MemberDoc, cursor: number, since: Date | undefined): Promise<Part> {
    const from = Math.min(Math.max(cursor, member.clearedSeq), head.lastSeq);
    const receipts = head.memberCount <= RECEIPT_FANOUT_LIMIT ? await this.members.receiptsSince(head._id, since, MAX_RECEIPTS) : [member];
    const result: SyncConversationResult = {
      conversationId: head._id,
      status: "ok",
      changes: [],
      cursor: from,
      hasMore: from < head.lastSeq,
      pending: false,
      lastSeq: head.lastSeq,
      receipts: receipts.map(toReceipt),
    };
    return { result, steps: [], from };
  }

  private async one(
    actorId: string,
    head: ConversationHead,
    member: MemberDoc,
    cursor: number,
    since: Date | undefined,
    limit: number,
    now: number,
  ): Promise<Part> {
    const from = Math.min(Math.max(cursor, member.clearedSeq), head.lastSeq);
    const receipts = head.memberCount <= RECEIPT_FANOUT_LIMIT ? this.members.receiptsSince(head._id, since, MAX_RECEIPTS) : Promise.resolve([member]);
    const steps: Step[] = [];
    let last = from;
    let hasMore = false;
    let pending = false;
    for (let round = 0; last < head.lastSeq; round++) {
      if (steps.length >= limit) {
        hasMore = true;
        break;
      }
      const walk = await this.walk(actorId, head, last, limit - steps.length, now);
      steps.push(...walk.steps);
      last = walk.last;
      ({ hasMore, pending } = walk);
      if (walk.stale.length === 0) break;
      if (round === MAX_VOID_ROUNDS) {
        hasMore = true;
        break;
      }
      // In this order: a void change from sync then always has its void message (or the seq's real one).
      const at = new Date(now);
      await this.messages.voidSeqs(head._id, walk.stale, at);
      await this.changes.voidSeqs(head._id, walk.stale, actorId, at);
    }
    const result: SyncConversationResult = {
      conversationId: head._id,
      status: "ok",
      changes: steps.flatMap((s) => (s.shown ? [s.shown] : [])),
      cursor: last,
      hasMore,
      pending,
      lastSeq: head.lastSeq,
      receipts: (await receipts).map(toReceipt),
    };
    return { result, steps, from };
  }

  /** Reads one page after `from` from both collections and walks it in seq order up to the first gap. */
  private async walk(actorId: string, head: ConversationHead, from: number, limit: number, now: number): Promise<Walk> {
    const [messages, changes] = await Promise.all([this.messages.since(head._id, from, limit), this.changes.since(head._id, from, limit)]);
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
      // At one seq, a real entry sorts before a void, so a page cut between them keeps the real one.
      .sort((a, b) => a.seq - b.seq || Number(isVoid(a)) - Number(isVoid(b)));
    const taken = merged.slice(0, limit);
    const walk: Walk = { steps: [], last: from, hasMore: taken.length < merged.length || boundary !== Infinity, pending: false, stale: [] };
    // Every change up to the boundary was fetched, so this tells whether a seq has a change.
    const changeSeqs = new Set(changes.map((c) => c.seq));
    for (const entry of taken) {
      // A seq can hold a void in one collection and the real entry in the other: the entry counts.
      if (entry.seq === walk.last && walk.steps.length > 0) {
        const shown = this.show(actorId, entry);
        if (shown) walk.steps[walk.steps.length - 1] = { seq: entry.seq, shown };
        continue;
      }
      if (entry.seq > walk.last + 1) {
        if (now - entry.at.getTime() < this.gapWindowMs) walk.pending = true;
        else walk.stale = range(walk.last + 1, entry.seq - 1, limit);
        walk.hasMore = false;
        return walk;
      }
      if ("message" in entry && entry.message.void && !changeSeqs.has(entry.seq)) {
        // A sync that voided this seq stopped before voiding it in message_changes too: finish that first.
        walk.stale = [entry.seq];
        walk.hasMore = false;
        return walk;
      }
      walk.last = entry.seq;
      walk.steps.push({ seq: entry.seq, shown: this.show(actorId, entry) });
    }
    if (!walk.hasMore && walk.last < head.lastSeq) {
      // Nothing stored after `last`: the rest are claims still being written, or lost ones.
      if (now - (head.lastSeqAt?.getTime() ?? 0) >= this.gapWindowMs) walk.stale = range(walk.last + 1, head.lastSeq, limit);
      else walk.pending = true;
    }
    return walk;
  }

  private show(actorId: string, entry: Entry): ChatChange | null {
    if ("message" in entry) {
      if (entry.message.void || entry.message.hiddenFor.includes(actorId)) return null;
      return { kind: "message", conversationId: entry.message.conversationId, seq: entry.seq, message: toMessage(entry.message) };
    }
    if (entry.change.onlyFor && entry.change.onlyFor !== actorId) return null;
    return toChange(entry.change);
  }

  /**
   * Cuts the answer at the byte budget, in request order: a conversation cut
   * short keeps the entries before the cut, its cursor at the last of them, and
   * `hasMore`. The budget counts the whole acknowledgement: every result's own
   * fields and receipts, the wrapper, and each change with its separator. The
   * first entry always fits, so every sync makes progress.
   */
  private withinBudget(parts: readonly Part[], receiptsCursor: string): SyncConversationResult[] {
    const shells = parts.map(({ result }) => ({ ...result, changes: [] }));
    let left = this.maxBytes - ACK_WRAPPER_BYTES - jsonBytes({ conversations: shells, receiptsCursor });
    let first = true;
    return parts.map(({ result, steps, from }) => {
      const kept: ChatChange[] = [];
      let cursor = from;
      for (const step of steps) {
        if (step.shown) {
          const size = (step.bytes ??= jsonBytes(step.shown)) + (kept.length > 0 ? 1 : 0);
          if (size > left && !first) break;
          left -= size;
          first = false;
          kept.push(step.shown);
        }
        cursor = step.seq;
      }
      if (kept.length === result.changes.length) return result;
      return { ...result, changes: kept, cursor, hasMore: true, pending: false };
    });
  }
}

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

function isVoid(entry: Entry): boolean {
  return "message" in entry ? entry.message.void === true : entry.change.kind === "void";
}

/** `from`..`to` inclusive, at most `max` of them. */
function range(from: number, to: number, max: number): number[] {
  const seqs: number[] = [];
  for (let seq = from; seq <= to && seqs.length < max; seq++) seqs.push(seq);
  return seqs;
}

function notFound(conversationId: string, cursor: number): SyncConversationResult {
  return { conversationId, status: "not_found", changes: [], cursor, hasMore: false, pending: false, lastSeq: 0, receipts: [] };
}
