import type { ObjectId } from "mongodb";
import type { AccessControl } from "../access/access-control.js";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import type { ProfileRepository } from "../profiles/profile.repository.js";
import type { CommentRepository } from "./comment.repository.js";
import type { PollVoteRepository } from "./poll-vote.repository.js";
import type { PostAudience } from "./post-audience.js";
import type { PostRepository } from "./post.repository.js";
import type { MediaUrls } from "../media/media.types.js";
import type { PostMedia } from "./post.types.js";
import type { AnyOutboxEntry } from "../events/domain-events.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { ReactionRepository } from "./reaction.repository.js";

/** An outbox entry of a posts event: written in the same write as the change it announces. */
export type OutboxEntry = AnyOutboxEntry;

/** The part of the domain event bus the posts domain uses (record with the write, publish after it). */
export type PostEvents = Pick<DomainEventBus, "record" | "published">;

/** The outbox reference of a post (shard key userId) or a comment (shard key postId). */
export const postRef = (post: { _id: ObjectId; userId: string }) => ({ collection: "posts", filter: { userId: post.userId, _id: post._id } });
export const commentRef = (comment: { _id: ObjectId; postId: ObjectId }) => ({ collection: "comments", filter: { postId: comment.postId, _id: comment._id } });

/** Media uploads a post may attach: the author's own, finished. Supplied by the media domain (`post-media.ts`). */
export interface MediaAttachments {
  /** Resolves upload ids to attachments (up to 4 images or 1 video), or throws a 4xx AppError naming the bad one. */
  resolve(ownerId: string, uploadIds: readonly string[]): Promise<PostMedia[]>;
  /** Records that the post uses them; a public post's are also published at stable URLs. */
  attach(postId: string, media: readonly PostMedia[], publicPost: boolean): Promise<void>;
  /** The post no longer uses them: each is released (purged after retention) once nothing else does. */
  detach(postId: string, uploadIds: readonly string[]): Promise<void>;
  /** URLs for a viewer already allowed to see the posts: stable ones only for a public audience. */
  urls(uploadIds: readonly string[], publicAudience: boolean): Promise<Map<string, MediaUrls>>;
}

/** Everything the posts services share; built once per process by the module. */
export interface PostsDeps {
  posts: PostRepository;
  comments: CommentRepository;
  reactions: ReactionRepository;
  votes: PollVoteRepository;
  audience: PostAudience;
  access: AccessControl;
  profiles: ProfileRepository;
  events: PostEvents;
  media: MediaAttachments | undefined;
  logger: Logger;
}

/** The error every viewer who may not see a post gets, whether or not it exists. */
export const postNotFound = (): AppError => new AppError("POST_NOT_FOUND", "No such post");
export const commentNotFound = (): AppError => new AppError("COMMENT_NOT_FOUND", "No such comment");
