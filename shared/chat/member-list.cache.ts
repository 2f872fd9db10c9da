import type { ConversationType } from "./chat.types.js";
import type { ConversationRepository } from "./conversation.repository.js";

export interface MemberList {
  type: ConversationType;
  memberIds: readonly string[];
  version: number;
}

/**
 * Member lists of recently active conversations, kept in this process so the
 * send path need not carry a group's whole list on every message. Never the
 * authority on membership: the seq claim checks it in the store and returns
 * `membersVersion`; a list whose version differs is reloaded before fan-out.
 * A membership change made here is announced (`changed`), and every process
 * drops its older list of that conversation (`drop`), so early checks
 * (typing, receipts, the send's first refusal) do not use a stale list.
 */
export class MemberListCache {
  private readonly entries = new Map<string, MemberList>();
  /** Tells the other processes a list changed (wired to the invalidation channel). */
  onChange: ((conversationId: string, version: number) => Promise<void>) | undefined;

  constructor(
    private readonly conversations: ConversationRepository,
    private readonly maxEntries = 5_000,
  ) {}

  /** The cached list (possibly stale), or the stored one; null when the conversation does not exist. */
  async get(conversationId: string): Promise<MemberList | null> {
    const cached = this.entries.get(conversationId);
    if (cached) {
      this.touch(conversationId, cached);
      return cached;
    }
    return this.load(conversationId);
  }

  /** The list at `version` or later: the cached one if it is that version, else reloaded. */
  async atVersion(conversationId: string, version: number): Promise<MemberList | null> {
    const cached = this.entries.get(conversationId);
    if (cached && cached.version >= version) return cached;
    return this.load(conversationId);
  }

  async load(conversationId: string): Promise<MemberList | null> {
    const doc = await this.conversations.memberList(conversationId);
    if (!doc) {
      this.entries.delete(conversationId);
      return null;
    }
    const list: MemberList = { type: doc.type, memberIds: doc.memberIds, version: doc.membersVersion };
    const current = this.entries.get(conversationId);
    if (!current || current.version <= list.version) this.touch(conversationId, list);
    return list;
  }

  /** The list after a membership change this process made: reloaded, and announced to every process. */
  async changed(conversationId: string): Promise<MemberList | null> {
    const list = await this.load(conversationId);
    if (list) await this.onChange?.(conversationId, list.version);
    else this.entries.delete(conversationId);
    return list;
  }

  /** Drops the cached list when it is older than `version`. */
  drop(conversationId: string, version: number): void {
    const cached = this.entries.get(conversationId);
    if (cached && cached.version < version) this.entries.delete(conversationId);
  }

  clear(): void {
    this.entries.clear();
  }

  private touch(conversationId: string, list: MemberList): void {
    this.entries.delete(conversationId);
    this.entries.set(conversationId, list);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
