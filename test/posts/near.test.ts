import assert from "node:assert/strict";
import type { PostView } from "../../shared/posts/post.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createCast, createPost, EXPECTED, VIEWERS, viewerOf, type Cast } from "./post-fixtures.js";

const KINDS = ["public", "followers", "friends", "private"] as const;

describe("posts: near a place (2dsphere $near), privacy-filtered", function () {
  this.timeout(30_000);
  let platform: Platform;
  let services: Services;
  let cast: Cast;
  const posts = {} as Record<(typeof KINDS)[number], PostView>;
  // A spot in the South Atlantic no other test uses.
  const here = { longitude: -20.5, latitude: -40.25 };

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    cast = await createCast(services);
    for (const [i, kind] of KINDS.entries()) {
      posts[kind] = await createPost(services, cast.author, { text: `near ${kind}`, visibility: kind, location: { name: "Buoy", longitude: here.longitude + i * 0.001, latitude: here.latitude } });
    }
  });
  after(async () => platform.close());

  it("finds posts within the distance, nearest first, each viewer only what they may see", async () => {
    const far = await createPost(services, cast.author, { text: "far", location: { name: "Far buoy", longitude: here.longitude + 1, latitude: here.latitude } });
    for (const name of VIEWERS) {
      const items = await services.posts.queries.near(viewerOf(cast, name)?.actor, { ...here, maxDistanceMeters: 2_000, limit: 20 });
      const expected = KINDS.filter((k) => EXPECTED[k][name]).map((k) => posts[k].id);
      assert.deepEqual(items.map((p) => p.id), expected, name);
      assert.equal(items.some((p) => p.id === far.id), false);
    }
    await services.posts.posts.delete(cast.author.actor, posts.public.id);
    const after = await services.posts.queries.near(undefined, { ...here, maxDistanceMeters: 2_000, limit: 20 });
    assert.deepEqual(after, []);
  });
});
