import { ObjectId } from "bson";
import { AppError } from "../errors/app-error.js";
import type { Actor } from "../auth/actor.js";
import { isAdmin } from "../profiles/profile.service.js";
import { ENGAGEMENT_WEIGHTS, engagementScore } from "./engagement.js";
import { movePostStats } from "./post-stats.js";
import { parseHashtags, parseMentions } from "./post-text.js";
import { PostViews } from "./post-view.js";
import { toObjectId } from "./post.repository.js";
import { POLL_MAX_MS, POLL_MIN_MS, type CreatePostInput, type EditPostInput, type LocationInput, type PollInput } from "./post.schema.js";
import { postNotFound, postRef, type MediaAttachments, type OutboxEntry, type PostsDeps } from "./posts.deps.js";
import { emptyReactionCounts, type Poll, type PostDoc, type PostEditView, type PostLocation, type PostMedia, type PostView } from "./post.types.js";

/**
 * Posts: create (text, media, poll, location, share), read, edit with a snapshot
 * per edit, soft delete, poll votes. Every read and write checks privacy and
 * blocks; a viewer who may not see a post gets POST_NOT_FOUND, as if it did not exist.
 */
export class PostService {
  private readonly views: PostViews;

  constructor(private readonly deps: PostsDeps) {
    this.views = new PostViews(deps);
  }

  async create(actor: Actor, input: CreatePostInput): Promise<PostView> {
    const now = new Date();
    let shared: PostDoc | null = null;
    if (input.sharedPostId) shared = await this.shareable(actor, input.sharedPostId);
    const media = input.media.length > 0 ? await this.mediaPort().resolve(actor.userId, input.media.map((m) => m.uploadId)) : [];
    const hashtags = parseHashtags(input.text);
    const mentions = await this.resolveMentions(actor.userId, input.text);
    // With a client id, the id an earlier attempt claimed (a retry rebuilds the same post), else a new one.
    const _id = input.clientId ? await this.deps.posts.claimId(actor.userId, input.clientId, new ObjectId(), now) : new ObjectId();
    if (input.clientId) {
      const existing = await this.deps.posts.findById(_id);
      if (existing) return this.viewOne(actor.userId, existing);
    }
    const doc: PostDoc = {
      _id,
      userId: actor.userId,
      ...(input.clientId ? { clientId: input.clientId } : {}),
      content: { text: input.text, media },
      hashtags,
      mentions,
      poll: input.poll ? newPoll(input.poll, 1, now) : null,
      location: input.location ? toLocation(input.location) : null,
      visibility: input.visibility,
      sharedPostId: shared?._id ?? null,
      sharedUserId: shared?.userId ?? null,
      stats: { reactions: emptyReactionCounts(), reactionCount: 0, comments: 0, shares: 0, views: 0, engagement: 0, engagementScore: engagementScore(0, now), version: 0 },
      version: 1,
      editedAt: null,
      isDeleted: false,
      deletedAt: null,
      deletedReason: null,
      createdAt: now,
      updatedAt: now,
    };
    const entries = [
      this.deps.events.record("post.created", {
        postId: _id.toHexString(),
        authorId: actor.userId,
        visibility: doc.visibility,
        hashtags,
        createdAt: now.toISOString(),
        sharedPostId: shared?._id.toHexString() ?? null,
      }),
      ...(await this.mentionEntries(doc)),
      ...(shared
        ? [this.deps.events.record("post.shared", { postId: _id.toHexString(), sharedPostId: shared._id.toHexString(), sharedPostAuthorId: shared.userId, userId: actor.userId })]
        : []),
    ];
    // The uploads are referenced before the post exists (never a visible post whose media could be purged).
    if (media.length > 0) await this.mediaPort().attach(_id.toHexString(), media, doc.visibility === "public");
    let outcome;
    try {
      outcome = await this.deps.posts.insert({ ...doc, outbox: entries } as PostDoc);
    } catch (error) {
      if (media.length > 0) await this.mediaPort().detach(_id.toHexString(), media.map((m) => m.uploadId));
      throw error;
    }
    const { post, inserted } = outcome;
    // A racing retry returns the first post (same id), which holds its own references: only uploads it does not use go.
    const unused = inserted ? [] : media.filter((m) => !post.content.media.some((kept) => kept.uploadId === m.uploadId));
    if (unused.length > 0) await this.mediaPort().detach(_id.toHexString(), unused.map((m) => m.uploadId));
    if (inserted) {
      if (shared) await movePostStats(this.deps.posts, shared._id, { "stats.shares": 1, "stats.engagement": ENGAGEMENT_WEIGHTS.share });
      await this.deps.events.published(postRef(post), entries);
    }
    return this.viewOne(actor.userId, post);
  }

  /** One post as the viewer may see it (a view is counted for signed-in viewers other than the author). */
  async get(viewer: Actor | undefined, postId: string): Promise<PostView> {
    const doc = await this.visible(viewer?.userId, postId);
    if (viewer && viewer.userId !== doc.userId) await this.deps.posts.incrementViews(doc._id);
    return this.viewOne(viewer?.userId, doc);
  }

  /**
   * Edits text, media, poll or location. A snapshot of the replaced version is
   * kept (media included: replaced uploads stay referenced by the post's
   * history and are released with the post); an edit that changes nothing is refused.
   */
  async edit(actor: Actor, postId: string, input: EditPostInput): Promise<PostView> {
    const doc = await this.own(actor, postId);
    const now = new Date();
    const set: EditSet = {};
    const textChanged = input.text !== undefined && input.text !== doc.content.text;
    const newIds = input.media?.map((m) => m.uploadId);
    const mediaChanged = newIds !== undefined && JSON.stringify(newIds) !== JSON.stringify(doc.content.media.map((m) => m.uploadId));
    if (mediaChanged && doc.sharedPostId) throw new AppError("VALIDATION_FAILED", "A share carries an optional comment only");
    const text = textChanged ? (input.text as string) : doc.content.text;
    const { media, fresh } = mediaChanged ? await this.editedMedia(actor.userId, doc, newIds) : { media: doc.content.media, fresh: [] };
    if (textChanged || mediaChanged) {
      if (text.trim() === "" && media.length === 0 && !doc.poll && !doc.sharedPostId) throw new AppError("VALIDATION_FAILED", "A post needs text, media, a poll or a shared post");
      set.content = { text, media };
    }
    if (textChanged) {
      set.hashtags = parseHashtags(text);
      set.mentions = await this.resolveMentions(actor.userId, text);
    }
    if (input.poll !== undefined) {
      if (!doc.poll) throw new AppError("BAD_REQUEST", "This post has no poll");
      if (!sameOptions(doc.poll, input.poll)) set.poll = newPoll(input.poll, doc.poll.version + 1, now);
      else if (doc.poll.closesAt.getTime() !== input.poll.closesAt.getTime()) set["poll.closesAt"] = checkedClose(input.poll.closesAt, now);
    }
    if (input.location !== undefined) {
      const location = input.location ? toLocation(input.location) : null;
      if (JSON.stringify(location) !== JSON.stringify(doc.location)) set.location = location;
    }
    if (Object.keys(set).length === 0) throw new AppError("NO_CHANGES", "The edit changes nothing");
    set.editedAt = now;
    await this.deps.posts.insertEdit({
      _id: new ObjectId(),
      postId: doc._id,
      userId: doc.userId,
      version: doc.version,
      text: doc.content.text,
      hashtags: doc.hashtags,
      mentions: doc.mentions,
      poll: doc.poll ? { options: doc.poll.options.map((o) => o.text), multiple: doc.poll.multiple, closesAt: doc.poll.closesAt } : null,
      location: doc.location,
      media: doc.content.media,
      createdAt: doc.editedAt ?? doc.createdAt,
      replacedAt: now,
    });
    const entries: OutboxEntry[] = [];
    if (set.hashtags && doc.visibility === "public") {
      const added = set.hashtags.filter((t) => !doc.hashtags.includes(t));
      const removed = doc.hashtags.filter((t) => !set.hashtags?.includes(t));
      if (added.length + removed.length > 0) {
        entries.push(this.deps.events.record("post.hashtags-changed", { postId, authorId: doc.userId, visibility: doc.visibility, createdAt: doc.createdAt.toISOString(), added, removed }));
      }
    }
    if (set.mentions) {
      const fresh = set.mentions.filter((m) => !doc.mentions.includes(m));
      entries.push(...(await this.mentionEntries({ ...doc, mentions: fresh })));
    }
    const updated = await this.deps.posts.updateContent(doc._id, doc.version, set, entries);
    if (!updated) {
      // The uploads this edit referenced are not in the post: let them go again.
      if (fresh.length > 0) await this.mediaPort().detach(postId, fresh.map((m) => m.uploadId));
      throw new AppError("CONFLICT", "The post changed meanwhile; reload it and edit again");
    }
    if (entries.length > 0) await this.deps.events.published(postRef(doc), entries);
    return this.viewOne(actor.userId, updated);
  }

  /** Every earlier version, oldest first, for whoever may see the post. */
  async history(viewer: Actor | undefined, postId: string): Promise<PostEditView[]> {
    const doc = await this.visible(viewer?.userId, postId);
    const edits = await this.deps.posts.listEdits(doc._id);
    const media = await this.views.mediaViews(viewer?.userId, doc, edits.flatMap((e) => e.media ?? []));
    return edits.map((e) => ({
      version: e.version,
      text: e.text,
      hashtags: e.hashtags,
      poll: e.poll ? { options: e.poll.options, multiple: e.poll.multiple, closesAt: e.poll.closesAt.toISOString() } : null,
      location: e.location ? { name: e.location.name, longitude: e.location.point.coordinates[0], latitude: e.location.point.coordinates[1] } : null,
      media: media(e.media ?? []),
      createdAt: e.createdAt.toISOString(),
      replacedAt: e.replacedAt.toISOString(),
    }));
  }

  /** Soft-deletes a post (its author; an admin's delete is a moderation). Idempotent. */
  async delete(actor: Actor, postId: string): Promise<void> {
    const id = toObjectId(postId);
    const doc = id && (await this.deps.posts.findById(id));
    if (!doc || (doc.userId !== actor.userId && !isAdmin(actor))) throw postNotFound();
    if (doc.isDeleted) return;
    const reason = doc.userId === actor.userId ? "author" : "moderation";
    const entry = this.deps.events.record("post.deleted", {
      postId,
      authorId: doc.userId,
      visibility: doc.visibility,
      hashtags: doc.hashtags,
      createdAt: doc.createdAt.toISOString(),
      reason,
    });
    const before = await this.deps.posts.markDeleted(doc._id, reason, new Date(), [entry]);
    if (!before) return;
    if (before.sharedPostId) await movePostStats(this.deps.posts, before.sharedPostId, { "stats.shares": -1, "stats.engagement": -ENGAGEMENT_WEIGHTS.share });
    await this.deps.events.published(postRef(doc), [entry]);
  }

  /** Votes in a poll: one ballot per user per version of the options, counted exactly once. */
  async vote(actor: Actor, postId: string, optionIds: string[]): Promise<PostView> {
    const doc = await this.visible(actor.userId, postId);
    const poll = doc.poll;
    if (!poll) throw new AppError("BAD_REQUEST", "This post has no poll");
    const now = new Date();
    if (poll.closesAt <= now) throw new AppError("POLL_CLOSED", "The poll is closed");
    const chosen = [...new Set(optionIds)];
    if (chosen.some((id) => !poll.options.some((o) => o.id === id))) throw new AppError("VALIDATION_FAILED", "Unknown poll option");
    if (!poll.multiple && chosen.length !== 1) throw new AppError("VALIDATION_FAILED", "This poll takes one choice");
    const ballot = { postId: doc._id, pollVersion: poll.version, userId: actor.userId, optionIds: chosen, createdAt: now };
    if (!(await this.deps.votes.insert(ballot))) throw new AppError("ALREADY_VOTED", "You already voted in this poll");
    if (!(await this.deps.posts.countVote(doc._id, poll.version, chosen, now))) {
      await this.deps.votes.remove(doc._id, poll.version, actor.userId);
      throw new AppError("CONFLICT", "The poll changed or closed meanwhile; reload it");
    }
    return this.viewOne(actor.userId, (await this.deps.posts.findById(doc._id)) ?? doc);
  }

  /** The post if `viewerId` may see it, else POST_NOT_FOUND (blocked, unauthorised and missing look the same). */
  async visible(viewerId: string | undefined, postId: string): Promise<PostDoc> {
    const id = toObjectId(postId);
    const doc = id && (await this.deps.posts.findById(id));
    if (!doc || doc.isDeleted) throw postNotFound();
    if (!(await this.deps.audience.canSee(viewerId, doc.userId, doc.visibility))) throw postNotFound();
    if (doc.sharedPostId) {
      const original = await this.deps.posts.findById(doc.sharedPostId);
      if (original && !original.isDeleted && !(await this.deps.audience.canSee(viewerId, original.userId, original.visibility))) throw postNotFound();
    }
    return doc;
  }

  async viewOne(viewerId: string | undefined, doc: PostDoc): Promise<PostView> {
    const [view] = await this.views.build(viewerId, [doc]);
    if (!view) throw postNotFound();
    return view;
  }

  private async own(actor: Actor, postId: string): Promise<PostDoc> {
    const id = toObjectId(postId);
    const doc = id && (await this.deps.posts.findById(id));
    if (!doc || doc.isDeleted || doc.userId !== actor.userId) throw postNotFound();
    return doc;
  }

  /** The original a share points at: visible to the actor and live; a share of a share shares the original. */
  private async shareable(actor: Actor, postId: string): Promise<PostDoc> {
    let doc = await this.visible(actor.userId, postId);
    if (doc.sharedPostId) {
      const original = await this.deps.posts.findById(doc.sharedPostId);
      if (!original || original.isDeleted) throw postNotFound();
      doc = original;
    }
    return doc;
  }

  private mediaPort(): MediaAttachments {
    if (!this.deps.media) throw new AppError("BAD_REQUEST", "Media attachments are not available on this server");
    return this.deps.media;
  }

  /** The post's new media: uploads it already has keep their facts; new ones are checked and referenced before the write. */
  private async editedMedia(authorId: string, doc: PostDoc, uploadIds: readonly string[]): Promise<{ media: PostMedia[]; fresh: PostMedia[] }> {
    const port = this.mediaPort();
    // Uploads the post uses now or used in an earlier version are already referenced (and keep their facts).
    const earlier = (await this.deps.posts.listEdits(doc._id)).flatMap((e) => e.media ?? []);
    const known = new Map([...earlier, ...doc.content.media].map((m) => [m.uploadId, m]));
    const fresh = await port.resolve(authorId, uploadIds.filter((id) => !known.has(id)));
    const byId = new Map([...known, ...fresh.map((m) => [m.uploadId, m] as const)]);
    const media = uploadIds.map((id) => byId.get(id)!);
    if (new Set(uploadIds).size !== uploadIds.length) throw new AppError("VALIDATION_FAILED", "The same upload is attached twice");
    if (media.some((m) => m.kind === "video") && media.length > 1) throw new AppError("VALIDATION_FAILED", "A post has up to 4 images or 1 video");
    if (fresh.length > 0) await port.attach(doc._id.toHexString(), fresh, doc.visibility === "public");
    return { media, fresh };
  }

  /**
   * Releases every upload a deleted post used, now or in an earlier version
   * (durable subscriber of `post.deleted`; idempotent).
   */
  async releaseMedia(postId: string): Promise<void> {
    const id = toObjectId(postId);
    const doc = id && (await this.deps.posts.findById(id));
    if (!doc || !doc.isDeleted || !this.deps.media) return;
    const edits = await this.deps.posts.listEdits(doc._id);
    const ids = [...doc.content.media, ...edits.flatMap((e) => e.media ?? [])].map((m) => m.uploadId);
    if (ids.length > 0) await this.deps.media.detach(postId, ids);
  }

  /** @usernames that name live users who have not blocked (and are not blocked by) the author. */
  private async resolveMentions(authorId: string, text: string): Promise<string[]> {
    const names = parseMentions(text);
    if (names.length === 0) return [];
    const profiles = await Promise.all(names.map((n) => this.deps.profiles.findByUsername(n)));
    const ids = [...new Set(profiles.flatMap((p) => (p && !p.isDeleted && p.userId !== authorId ? [p.userId] : [])))];
    const blocked = await this.deps.access.blockedAmong(authorId, ids);
    return ids.filter((id) => !blocked.has(id));
  }

  /** A `post.mentioned` entry for the mentioned users who may see the post (others are not told). */
  private async mentionEntries(doc: Pick<PostDoc, "_id" | "userId" | "visibility" | "mentions">): Promise<OutboxEntry[]> {
    if (doc.mentions.length === 0) return [];
    const allowed = await Promise.all(doc.mentions.map((id) => this.deps.audience.canSee(id, doc.userId, doc.visibility)));
    const told = doc.mentions.filter((_, i) => allowed[i]);
    return told.length === 0 ? [] : [this.deps.events.record("post.mentioned", { postId: doc._id.toHexString(), authorId: doc.userId, mentionedUserIds: told })];
  }
}

/** The fields an edit may set (`poll.closesAt` alone when only the closing time moves: the votes stay). */
type EditSet = Partial<Pick<PostDoc, "content" | "hashtags" | "mentions" | "poll" | "location" | "editedAt">> & { "poll.closesAt"?: Date };

function checkedClose(closesAt: Date, now: Date): Date {
  const ms = closesAt.getTime() - now.getTime();
  if (ms < POLL_MIN_MS || ms > POLL_MAX_MS) throw new AppError("VALIDATION_FAILED", "A poll closes between 5 minutes and 30 days from now", [{ path: "poll.closesAt", message: "out of range" }]);
  return closesAt;
}

function newPoll(input: PollInput, version: number, now: Date): Poll {
  checkedClose(input.closesAt, now);
  const options = input.options.map((text, i) => ({ id: `o${i + 1}`, text }));
  return { options, counts: Object.fromEntries(options.map((o) => [o.id, 0])), multiple: input.multiple, closesAt: input.closesAt, voters: 0, version };
}

/** Same choices (texts, order, single/multiple): votes stay valid. */
function sameOptions(poll: Poll, input: PollInput): boolean {
  return poll.multiple === input.multiple && JSON.stringify(poll.options.map((o) => o.text)) === JSON.stringify(input.options);
}

function toLocation(input: LocationInput): PostLocation {
  return { name: input.name, point: { type: "Point", coordinates: [input.longitude, input.latitude] } };
}
