import assert from "node:assert/strict";
import type { OwnProfileView } from "../../shared/profiles/profile.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { httpCall } from "../helpers/http.js";
import { allKeys, atBase, readyUpload, startMediaApiStack, type Fixtures, type MediaApiStack } from "../media/media-fixtures.js";
import { registerProfileUser, type ProfileUser } from "./profile-fixtures.js";

type Body = { profile: OwnProfileView; error?: { code: string } };

describe("profiles: avatars are uploads (public URLs; replaced or removed ones released)", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  let stack: MediaApiStack;
  let base: string;
  let ann: ProfileUser;
  let eve: ProfileUser;
  let fx: Fixtures;

  before(async () => {
    stack = await startMediaApiStack();
    ({ platform, services, base, fx } = stack);
    [ann, eve] = await Promise.all([registerProfileUser(services), registerProfileUser(services)]);
  });
  after(async () => {
    await stack.close();
  });

  const put = (user: ProfileUser, body: unknown) => httpCall<Body>(base, "PUT", "/api/profiles/me/avatar", { token: user.token, body });
  const avatarUpload = (user = ann, purpose: "avatar" | "post" = "avatar") => readyUpload(services, user.userId, fx.png, "image/png", purpose);
  const keysOf = async (id: string) => (await allKeys(services)).filter((key) => key.includes(id));
  const afterRetention = () => new Date(Date.now() + platform.config.MEDIA_RELEASE_RETENTION_SECONDS * 1000 + 60_000);

  it("sets the avatar from an upload; everyone sees its stable display and thumbnail URLs", async () => {
    const upload = await avatarUpload();
    const res = await put(ann, { uploadId: upload.id });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { avatar, avatarUrl } = res.body.profile;
    assert.equal(avatar?.mediaId, upload.id);
    assert.match(avatar?.url ?? "", new RegExp(`/media/public/${ann.userId}/${upload.id}/display\\.webp$`));
    assert.match(avatar?.thumbnailUrl ?? "", /\/thumbnail\.webp$/);
    assert.equal(avatarUrl, avatar?.url, "cards show the display size");
    const seen = await httpCall<{ profile: OwnProfileView }>(base, "GET", `/api/profiles/${ann.userId}`);
    assert.deepEqual(seen.body.profile.avatar, avatar);
    for (const url of [avatar!.url, avatar!.thumbnailUrl]) {
      const served = await fetch(atBase(base, url));
      assert.equal(served.status, 200);
      assert.equal(served.headers.get("content-type"), "image/webp");
    }
    assert.equal((await services.profiles.getMany([ann.userId])).get(ann.userId)?.avatarUrl, avatar?.url);
    assert.equal((await put(ann, { uploadId: upload.id })).body.profile.avatar?.mediaId, upload.id, "setting it again is a no-op");
  });

  it("refuses another user's, a post's, an unfinished upload and URLs, changing nothing", async () => {
    const before = (await httpCall<Body>(base, "GET", "/api/profiles/me", { token: ann.token })).body.profile;
    const foreign = await avatarUpload(eve);
    const forPost = await avatarUpload(ann, "post");
    const pending = (await services.media.createUpload(ann.userId, { purpose: "avatar", mimeType: "image/png", size: fx.png.length })).upload;
    const cases: Array<[unknown, number, string]> = [
      [{ uploadId: foreign.id }, 404, "MEDIA_NOT_FOUND"],
      [{ uploadId: forPost.id }, 400, "VALIDATION_FAILED"],
      [{ uploadId: pending.id }, 409, "MEDIA_NOT_READY"],
      [{ uploadId: "https://cdn.example.com/a.png" }, 400, "VALIDATION_FAILED"],
      [{ url: "https://cdn.example.com/a.png" }, 400, "VALIDATION_FAILED"],
      [{}, 400, "VALIDATION_FAILED"],
    ];
    for (const [body, status, code] of cases) {
      const res = await put(ann, body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(res.body.error?.code, code);
    }
    const patched = await httpCall<Body>(base, "PATCH", "/api/profiles/me", { token: ann.token, body: { avatarUrl: "https://cdn.example.com/a.png" } });
    assert.equal(patched.status, 400, "URL avatars are gone");
    assert.deepEqual((await httpCall<Body>(base, "GET", "/api/profiles/me", { token: ann.token })).body.profile, before);
  });

  it("replacing releases the previous upload, removing releases the current one; both are purged after retention", async () => {
    const first = await avatarUpload();
    const second = await avatarUpload();
    assert.equal((await put(ann, { uploadId: first.id })).status, 200);
    const replaced = await put(ann, { uploadId: second.id });
    assert.equal(replaced.body.profile.avatar?.mediaId, second.id);
    await assert.rejects(services.media.resolveForOwner(ann.userId, first.id, "avatar"), { code: "MEDIA_NOT_FOUND" }, "the first is released");
    await services.media.resolveForOwner(ann.userId, second.id, "avatar");
    const removed = await httpCall<Body>(base, "DELETE", "/api/profiles/me/avatar", { token: ann.token });
    assert.equal(removed.status, 200);
    assert.equal(removed.body.profile.avatar, null);
    assert.equal(removed.body.profile.avatarUrl, null);
    assert.equal((await httpCall<Body>(base, "DELETE", "/api/profiles/me/avatar", { token: ann.token })).status, 200, "idempotent");
    await assert.rejects(services.media.resolveForOwner(ann.userId, second.id, "avatar"), { code: "MEDIA_NOT_FOUND" });
    assert.equal((await keysOf(second.id)).length, 3, "kept during the retention period");
    await services.maintenance.run("daily", afterRetention());
    assert.deepEqual([...(await keysOf(first.id)), ...(await keysOf(second.id))], []);
  });

  it("a deleted account releases its avatar", async () => {
    const cat = await registerProfileUser(services);
    const upload = await avatarUpload(cat);
    assert.equal((await put(cat, { uploadId: upload.id })).status, 200);
    assert.ok(await services.profiles.markDeleted(cat.userId));
    await services.maintenance.run("daily", afterRetention());
    assert.deepEqual(await keysOf(upload.id), []);
  });
});
