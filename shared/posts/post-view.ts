import type { ObjectId } from "mongodb";
import { PostAudience, type Relation } from "./post-audience.js";
import type { PostsDeps } from "./posts.deps.js";
import type { AuthorCard, PollView, PostDoc, PostMedia, PostMediaView, PostView } from "./post.types.js";

const deletedAuthor = (userId: string): AuthorCard => ({ userId, username: "", displayName: "Deleted account", avatarUrl: null, isVerified: false });

/**
 * Turns stored posts into what one viewer may see: posts the viewer may not see
 * are dropped (privacy, blocks, deleted authors and posts), and a share is shown
 * only when the viewer may also see the original — a share never widens the
 * original's audience. A share whose original was deleted shows as unavailable.
 */
export class PostViews {
  constructor(private readonly deps: PostsDeps) {}

  /** The visible posts among `docs`, in their order, with the viewer's reaction and votes. */
  async build(viewerId: string | undefined, docs: readonly PostDoc[]): Promise<PostView[]> {
    const live = docs.filter((d) => !d.isDeleted);
    if (live.length === 0) return [];
    const originalIds = new Map<string, ObjectId>();
    for (const d of live) if (d.sharedPostId) originalIds.set(d.sharedPostId.toHexString(), d.sharedPostId);
    const originals = new Map((await this.deps.posts.findByIds([...originalIds.values()])).map((o) => [o._id.toHexString(), o]));
    const authorIds = [...live.map((d) => d.userId), ...[...originals.values()].map((o) => o.userId)];
    const candidates = [...live, ...originals.values()];
    // The viewer's reactions and votes are read for every candidate, alongside the relations and cards.
    const extras = Promise.all([
      viewerId ? this.deps.reactions.mine(viewerId, candidates.map((d) => d._id)) : Promise.resolve(new Map()),
      viewerId ? this.myVotes(viewerId, candidates) : Promise.resolve(new Map<string, string[]>()),
    ]);
    const { relations, cards: cardOf } = await this.deps.audience.relationsAndCards(viewerId, authorIds);
    const visible = (doc: PostDoc): boolean => !doc.isDeleted && PostAudience.allows(viewerId, doc.userId, doc.visibility, relations.get(doc.userId));
    const shown = live.filter((doc) => {
      if (!visible(doc)) return false;
      if (!doc.sharedPostId) return true;
      const original = originals.get(doc.sharedPostId.toHexString());
      // Deleted originals leave the share as "unavailable"; invisible ones hide the share.
      return !original || original.isDeleted || visible(original);
    });
    const [[mine, votes], mediaOf] = await Promise.all([extras, this.mediaLookup(viewerId, [...shown, ...[...originals.values()].filter((o) => !o.isDeleted)], relations)]);
    const one = (doc: PostDoc, shared: PostView | null, unavailable: boolean): PostView => ({
      id: doc._id.toHexString(),
      author: cardOf.get(doc.userId) ?? deletedAuthor(doc.userId),
      text: doc.content.text,
      hashtags: doc.hashtags,
      mentions: doc.mentions,
      media: mediaOf(doc, doc.content.media),
      poll: doc.poll ? pollView(doc, votes.get(doc._id.toHexString()), viewerId !== undefined) : null,
      location: doc.location ? { name: doc.location.name, longitude: doc.location.point.coordinates[0], latitude: doc.location.point.coordinates[1] } : null,
      visibility: doc.visibility,
      shared,
      sharedUnavailable: unavailable,
      stats: {
        reactions: doc.stats.reactions,
        reactionCount: doc.stats.reactionCount,
        comments: doc.stats.comments,
        shares: doc.stats.shares,
        views: doc.stats.views,
        engagementScore: doc.stats.engagementScore,
      },
      ...(viewerId ? { myReaction: mine.get(doc._id.toHexString()) ?? null } : {}),
      version: doc.version,
      editedAt: doc.editedAt?.toISOString() ?? null,
      createdAt: doc.createdAt.toISOString(),
    });
    return shown.map((doc) => {
      if (!doc.sharedPostId) return one(doc, null, false);
      const original = originals.get(doc.sharedPostId.toHexString());
      if (!original || original.isDeleted) return one(doc, null, true);
      return one(doc, one(original, null, false), false);
    });
  }

  /**
   * Attachment views for one post the viewer may see (its current media and
   * `extra`, e.g. its edit history's): stable URLs when the post is public and
   * its author's account too, signed links otherwise.
   */
  async mediaViews(viewerId: string | undefined, doc: PostDoc, extra: readonly PostMedia[]): Promise<(media: readonly PostMedia[]) => PostMediaView[]> {
    const relations = await this.deps.audience.relations(viewerId, [doc.userId]);
    const lookup = await this.mediaLookup(viewerId, [{ ...doc, content: { ...doc.content, media: [...doc.content.media, ...extra] } }], relations);
    return (media) => lookup(doc, media);
  }

  /** One URL lookup per audience for the media of `docs`; the returned function shapes a post's attachments. */
  private async mediaLookup(viewerId: string | undefined, docs: readonly PostDoc[], relations: Map<string, Relation>): Promise<(doc: PostDoc, media: readonly PostMedia[]) => PostMediaView[]> {
    const port = this.deps.media;
    const withMedia = docs.filter((d) => d.content.media.length > 0);
    if (!port || withMedia.length === 0) return () => [];
    // Stable URLs on public posts of public accounts, and for their author (a public post's copies exist whatever the account's privacy).
    const isPublic = (doc: PostDoc) => doc.visibility === "public" && (doc.userId === viewerId || relations.get(doc.userId)?.isPrivate === false);
    const ids = (open: boolean) => withMedia.filter((d) => isPublic(d) === open).flatMap((d) => d.content.media.map((m) => m.uploadId));
    const [open, restricted] = await Promise.all([port.urls(ids(true), true), port.urls(ids(false), false)]);
    return (doc, media) => {
      const urls = isPublic(doc) ? open : restricted;
      return media.flatMap((m) => {
        const found = urls.get(m.uploadId);
        if (!found) return [];
        const { mediaId: _mediaId, ...links } = found;
        return [{ ...m, ...links }];
      });
    };
  }

  /** The relations the views were built with, for callers that filter further. */
  async relations(viewerId: string | undefined, authorIds: readonly string[]): Promise<Map<string, Relation>> {
    return this.deps.audience.relations(viewerId, authorIds);
  }

  private async myVotes(viewerId: string, docs: readonly PostDoc[]): Promise<Map<string, string[]>> {
    const polls = docs.filter((d) => d.poll);
    const found = await Promise.all(polls.map((d) => this.deps.votes.find(d._id, d.poll?.version ?? 0, viewerId)));
    const out = new Map<string, string[]>();
    polls.forEach((d, i) => {
      const vote = found[i];
      if (vote) out.set(d._id.toHexString(), vote.optionIds);
    });
    return out;
  }
}

function pollView(doc: PostDoc, myVotes: string[] | undefined, signedIn: boolean): PollView {
  const poll = doc.poll as NonNullable<PostDoc["poll"]>;
  return {
    options: poll.options.map((o) => ({ id: o.id, text: o.text, votes: poll.counts[o.id] ?? 0 })),
    multiple: poll.multiple,
    closesAt: poll.closesAt.toISOString(),
    closed: poll.closesAt.getTime() <= Date.now(),
    voters: poll.voters,
    ...(signedIn ? { myVotes: myVotes ?? [] } : {}),
  };
}
