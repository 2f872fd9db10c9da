import type { CreatePostInput } from "../../shared/posts/post.schema.js";
import type { PostView } from "../../shared/posts/post.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import { composeModules, type Services } from "../../shared/runtime/services.js";
import { startWorkers, type WorkerHost, type WorkerHostOptions } from "../../workers/worker-host.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createProfileUsers, type ProfileUser } from "../profiles/profile-fixtures.js";

/** The six viewers of the privacy matrix, around one author. */
export interface Cast {
  author: ProfileUser;
  follower: ProfileUser;
  friend: ProfileUser;
  stranger: ProfileUser;
  blocked: ProfileUser;
}

/** follower follows the author; friend and the author follow each other; blocked was blocked by the author. */
export async function createCast(services: Services): Promise<Cast> {
  const [author, follower, friend, stranger, blocked] = await createProfileUsers(services, 5);
  const cast: Cast = { author, follower, friend, stranger, blocked };
  await services.follows.follow(follower.actor, author.userId);
  await services.follows.follow(friend.actor, author.userId);
  await services.follows.follow(author.actor, friend.userId);
  await services.follows.follow(blocked.actor, author.userId);
  await services.blocks.block(author.actor, blocked.userId);
  return cast;
}

export function postInput(overrides: Partial<CreatePostInput> = {}): CreatePostInput {
  return { text: "hello", media: [], visibility: "public", ...overrides };
}

export async function createPost(services: Services, user: ProfileUser, overrides: Partial<CreatePostInput> = {}): Promise<PostView> {
  return services.posts.posts.create(user.actor, postInput(overrides));
}

/** Who sees a post of each visibility (anonymous: the `anon` column). */
export const EXPECTED: Record<"public" | "followers" | "friends" | "private", Record<"self" | "follower" | "friend" | "stranger" | "blocked" | "anon", boolean>> = {
  public: { self: true, follower: true, friend: true, stranger: true, blocked: false, anon: true },
  followers: { self: true, follower: true, friend: true, stranger: false, blocked: false, anon: false },
  friends: { self: true, follower: false, friend: true, stranger: false, blocked: false, anon: false },
  private: { self: true, follower: false, friend: false, stranger: false, blocked: false, anon: false },
};

export const VIEWERS = ["self", "follower", "friend", "stranger", "blocked", "anon"] as const;
export type ViewerName = (typeof VIEWERS)[number];

export function viewerOf(cast: Cast, name: ViewerName): ProfileUser | undefined {
  switch (name) {
    case "self":
      return cast.author;
    case "anon":
      return undefined;
    default:
      return cast[name];
  }
}

/** Stores, services and a worker host running every job (fan-out batches, event deliveries), as in production. */
export interface PostsHarness {
  platform: Platform;
  services: Services;
  workers: WorkerHost;
  close(): Promise<void>;
}

export async function startPostsHarness(options: WorkerHostOptions = {}): Promise<PostsHarness> {
  const { platform } = await createTestPlatform();
  const composition = composeModules(platform);
  const workers = await startWorkers(platform, composition.jobs, 0, { schedules: [], ...options });
  return {
    platform,
    services: composition.services,
    workers,
    async close() {
      await workers.close(2_000);
      await composition.services.events.flush();
      await platform.close();
    },
  };
}

/** Polls until `check` holds (fan-out and deliveries run in workers). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
}
