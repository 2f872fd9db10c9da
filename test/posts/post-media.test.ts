import assert from "node:assert/strict";
import type { PostEditView, PostMediaView, PostView } from "../../shared/posts/post.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { httpCall } from "../helpers/http.js";
import { allKeys, atBase, readyUpload, startMediaApiStack, type Fixtures, type MediaApiStack } from "../media/media-fixtures.js";
import { registerProfileUser, type ProfileUser } from "../profiles/profile-fixtures.js";

type Body = { post: PostView; error?: { code: string; message: string } };

describe("posts: media by upload id (public URLs for public posts, signed links otherwise)", function () {
  this.timeout(90_000);
  let platform: Platform;
  let services: Services;
  let stack: MediaApiStack;
  let base: string;
  let ann: ProfileUser;
  let fan: ProfileUser;
  let eve: ProfileUser;
  let fx: Fixtures;

  before(async () => {
    stack = await startMediaApiStack();
    ({ platform, services, base, fx } = stack);
    [ann, fan, eve] = await Promise.all([registerProfileUser(services), registerProfileUser(services), registerProfileUser(services)]);
    await services.follows.follow(fan.actor, ann.userId);
  });
  after(async () => {
    await stack.close();
  });

  const post = (user: ProfileUser, body: Record<string, unknown>) => httpCall<Body>(base, "POST", "/api/posts", { token: user.token, body });
  const get = (user: ProfileUser | undefined, id: string) => httpCall<Body>(base, "GET", `/api/posts/${id}`, user ? { token: user.token } : {});
  const image = (owner = ann, purpose: "post" | "chat" = "post") => readyUpload(services, owner.userId, fx.png, "image/png", purpose);
  const fetchBytes = async (url: string) => {
    const response = await fetch(atBase(base, url));
    return { status: response.status, type: response.headers.get("content-type"), bytes: Buffer.from(await response.arrayBuffer()) };
  };
  const signed = (m: PostMediaView) => /X-Signature=/.test(m.url) && m.expiresAt !== undefined;
  const postCount = async () => (await services.posts.queries.byUser(ann.actor, ann.userId, { limit: 50 })).items.length;

  it("a public post with images shows stable public URLs (display and thumbnail) that serve the re-encoded images", async () => {
    const [one, two] = await Promise.all([image(), image()]);
    const created = await post(ann, { text: "two pictures", media: [{ uploadId: one.id }, { uploadId: two.id }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.post.media.map((m) => m.uploadId), [one.id, two.id]);
    assert.ok(created.body.post.media.every((m) => !signed(m)), "the author gets the stable URLs too");
    const anonymous = (await get(undefined, created.body.post.id)).body.post;
    assert.equal(anonymous.media.length, 2);
    for (const m of anonymous.media) {
      assert.equal(m.kind, "image");
      assert.equal(m.mimeType, "image/png");
      assert.equal(m.width, 64);
      assert.equal(m.height, 48);
      assert.match(m.url, new RegExp(`/media/public/${ann.userId}/${m.uploadId}/image\\.png$`));
      assert.match(m.displayUrl ?? "", /\/display\.webp$/);
      assert.match(m.thumbnailUrl ?? "", /\/thumbnail\.webp$/);
      assert.equal(m.expiresAt, undefined, "stable, not expiring");
      const served = await fetchBytes(m.url);
      assert.equal(served.status, 200);
      assert.equal(served.type, "image/png");
      assert.equal((await fetchBytes(m.displayUrl!)).type, "image/webp");
    }
    // The follower's view of the same public post gets the same stable URLs.
    assert.deepEqual((await get(fan, created.body.post.id)).body.post.media.map((m) => m.url), anonymous.media.map((m) => m.url));
  });

  it("a video post carries its duration and dimensions", async () => {
    const video = await readyUpload(services, ann.userId, fx.mp4, "video/mp4", "post");
    const created = await post(ann, { text: "clip", media: [{ uploadId: video.id }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const [m] = (await get(eve, created.body.post.id)).body.post.media;
    assert.equal(m?.kind, "video");
    assert.equal(m?.width, 160);
    assert.ok((m?.durationSeconds ?? 0) > 0);
    assert.match(m?.url ?? "", /\/original\.mp4$/);
    assert.deepEqual((await fetchBytes(m!.url)).bytes, fx.mp4);
  });

  it("refuses foreign, wrong-purpose, unfinished, duplicate and too many uploads, writing nothing", async () => {
    const before = await postCount();
    const foreign = await image(eve);
    const chat = await image(ann, "chat");
    const pending = (await services.media.createUpload(ann.userId, { purpose: "post", mimeType: "image/png", size: fx.png.length })).upload;
    const video = await readyUpload(services, ann.userId, fx.mp4, "video/mp4", "post");
    const ok = await image();
    const cases: Array<[string, unknown[], number, string]> = [
      ["another user's upload", [{ uploadId: foreign.id }], 404, "MEDIA_NOT_FOUND"],
      ["a chat upload", [{ uploadId: chat.id }], 400, "VALIDATION_FAILED"],
      ["an upload not yet sent", [{ uploadId: pending.id }], 409, "MEDIA_NOT_READY"],
      ["an unknown upload", [{ uploadId: "00000000-0000-4000-8000-000000000000" }], 404, "MEDIA_NOT_FOUND"],
      ["not an upload id", [{ uploadId: "../etc" }], 400, "VALIDATION_FAILED"],
      ["the same upload twice", [{ uploadId: ok.id }, { uploadId: ok.id }], 400, "VALIDATION_FAILED"],
      ["a video and an image", [{ uploadId: video.id }, { uploadId: ok.id }], 400, "VALIDATION_FAILED"],
      ["five images", Array.from({ length: 5 }, () => ({ uploadId: ok.id })), 400, "VALIDATION_FAILED"],
      ["a good image before a foreign one", [{ uploadId: ok.id }, { uploadId: foreign.id }], 404, "MEDIA_NOT_FOUND"],
    ];
    for (const [name, media, status, code] of cases) {
      const res = await post(ann, { text: "nope", media });
      assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error?.code, code, name);
    }
    assert.equal(await postCount(), before, "no post written");
    assert.equal((await allKeys(services)).some((key) => key.startsWith("public/") && key.includes(ok.id)), false, "nothing published");
  });

  it("a followers-only post's media is reachable only through signed links given to its followers", async () => {
    const picture = await image();
    const created = await post(ann, { text: "for my followers", visibility: "followers", media: [{ uploadId: picture.id }] });
    assert.equal(created.status, 201);
    const id = created.body.post.id;
    const forFan = (await get(fan, id)).body.post.media[0]!;
    assert.ok(signed(forFan), forFan.url);
    assert.ok(signed({ ...forFan, url: forFan.thumbnailUrl! }));
    assert.equal((await fetchBytes(forFan.url)).status, 200);
    assert.equal((await get(eve, id)).status, 404, "a stranger does not see the post");
    assert.equal((await get(undefined, id)).status, 404);
    assert.deepEqual((await allKeys(services)).filter((key) => key.includes(picture.id) && key.startsWith("public/")), [], "no public copy");
    const guessed = `${base}/media/public/${ann.userId}/${picture.id}/image.png`;
    assert.equal((await fetch(guessed)).status, 404, "no stable URL to guess");
    const tampered = new URL(atBase(base, forFan.url));
    tampered.searchParams.set("X-Expires", String(Number(tampered.searchParams.get("X-Expires")) + 3600));
    assert.equal((await fetch(tampered)).status, 403, "a stretched link is refused");
    // The author's own view: signed links as well (no stable URL exists to hand out).
    assert.ok(signed((await get(ann, id)).body.post.media[0]!));
    // A public post of a private account: its audience is its accepted followers, so signed links for them.
    const shy = await registerProfileUser(services);
    await services.follows.follow(fan.actor, shy.userId);
    await httpCall(base, "PATCH", "/api/profiles/me", { token: shy.token, body: { privacy: { isPrivate: true } } });
    const shyImage = await image(shy);
    const shyPost = await post(shy, { text: "public, but my account is not", media: [{ uploadId: shyImage.id }] });
    assert.equal(shyPost.status, 201, JSON.stringify(shyPost.body));
    assert.ok(signed((await get(fan, shyPost.body.post.id)).body.post.media[0]!), "the follower gets signed links");
    assert.equal((await get(eve, shyPost.body.post.id)).status, 404);
  });

  it("editing the media keeps it in the history; deleting the post releases every upload it used", async () => {
    const [first, second] = await Promise.all([image(), image()]);
    const created = await post(ann, { text: "v1", media: [{ uploadId: first.id }] });
    assert.equal(created.status, 201);
    const id = created.body.post.id;
    const edited = await httpCall<Body>(base, "PATCH", `/api/posts/${id}`, { token: ann.token, body: { media: [{ uploadId: second.id }] } });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.deepEqual(edited.body.post.media.map((m) => m.uploadId), [second.id]);
    assert.equal(edited.body.post.version, 2);
    const same = await httpCall<Body>(base, "PATCH", `/api/posts/${id}`, { token: ann.token, body: { media: [{ uploadId: second.id }] } });
    assert.equal(same.body.error?.code, "NO_CHANGES");
    const foreign = await image(eve);
    const refused = await httpCall<Body>(base, "PATCH", `/api/posts/${id}`, { token: ann.token, body: { media: [{ uploadId: foreign.id }] } });
    assert.equal(refused.status, 404);
    const history = await httpCall<{ items: PostEditView[] }>(base, "GET", `/api/posts/${id}/history`, { token: eve.token });
    assert.equal(history.status, 200, JSON.stringify(history.body));
    const [v1] = Object.values(history.body).flat() as PostEditView[];
    assert.deepEqual(v1?.media.map((m) => m.uploadId), [first.id]);
    assert.equal((await fetchBytes(v1!.media[0]!.url)).status, 200);

    assert.equal((await httpCall(base, "DELETE", `/api/posts/${id}`, { token: ann.token })).status, 204);
    for (const upload of [first, second]) await assert.rejects(services.media.resolveForOwner(ann.userId, upload.id, "post"), { code: "MEDIA_NOT_FOUND" }, "released");
    const ours = async () => (await allKeys(services)).filter((key) => key.includes(first.id) || key.includes(second.id));
    assert.equal((await ours()).filter((key) => key.startsWith("public/")).length, 6, "the public copies stay during the retention period");
    await services.maintenance.run("daily", new Date(Date.now() + platform.config.MEDIA_RELEASE_RETENTION_SECONDS * 1000 + 60_000));
    assert.deepEqual(await ours(), [], "purged after the retention period");
  });
});
