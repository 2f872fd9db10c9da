import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createPostSchema } from "../../shared/posts/post.schema.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { JobRuntime, Services } from "../../shared/runtime/services.js";
import { startWorkers } from "../../workers/worker-host.js";
import { waitFor } from "../helpers/ports.js";
import { registerProfileUser, type ProfileUser } from "../profiles/profile-fixtures.js";
import { allKeys, makeFixtures, readyUpload, createMediaTestStack, type Fixtures } from "./media-fixtures.js";

describe("media publish: large copies under public/ by the durable media.publish job", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  let jobs: JobRuntime;
  let ann: ProfileUser;
  let dir: string;
  let fx: Fixtures;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "cw-fx-"));
    fx = await makeFixtures(dir);
    // The threshold lies between the images (copied inline) and the video (copied by the job).
    assert.ok(fx.png.length * 10 < fx.mp4.length, "fixture sizes");
    ({ platform, services, jobs } = await createMediaTestStack({ MEDIA_PUBLISH_INLINE_MAX_BYTES: String(fx.mp4.length - 1) }));
    ann = await registerProfileUser(services);
  });
  after(async () => {
    await platform.close();
    await rm(dir, { recursive: true, force: true });
  });

  const publicKeys = async (id: string) => (await allKeys(services)).filter((key) => key.startsWith("public/") && key.includes(id));
  const jobOf = (id: string) => platform.jobs.queue("media").getJob(`media-publish-${id}`);

  it("an upload up to the threshold is copied inline; a larger one is queued once under media-publish:<id>, then copied by a worker", async () => {
    const small = await readyUpload(services, ann.userId, fx.png, "image/png", "post");
    assert.equal(await services.media.publish(small.id), "published");
    assert.equal((await publicKeys(small.id)).length, 3);
    assert.equal(await jobOf(small.id), undefined, "no job for an inline copy");

    const large = await readyUpload(services, ann.userId, fx.mp4, "video/mp4", "post");
    assert.equal(await services.media.publish(large.id), "queued");
    assert.equal(await services.media.publish(large.id), "queued");
    const job = await jobOf(large.id);
    assert.ok(job, "the job is stored under its deterministic id");
    assert.equal(job.name, "media.publish");
    assert.deepEqual(job.data, { mediaId: large.id });
    assert.equal(await job.getState(), "waiting");
    assert.equal((await platform.jobs.queue("media").getJobs(["waiting"])).filter((j) => j.name === "media.publish" && j.data.mediaId === large.id).length, 1, "a second publish adds no second job");
    assert.deepEqual(await publicKeys(large.id), [], "nothing is public before the job runs");
    const before = (await services.media.urlsFor([large.id], { publicAudience: true })).get(large.id)!;
    assert.ok(before.expiresAt && /X-Signature=/.test(before.url), "signed links until the copy exists");

    const workers = await startWorkers(platform, jobs, 0);
    try {
      await waitFor(async () => (await jobOf(large.id))?.finishedOn !== undefined, 20_000, "the publish job to finish");
      assert.deepEqual((await jobOf(large.id))!.returnvalue, { outcome: "published" });
    } finally {
      await workers.close(1000);
    }
    const keys = await publicKeys(large.id);
    const main = `public/${ann.userId}/${large.id}/original.mp4`;
    assert.deepEqual(keys, [main]);
    const copy = await services.storage.get(main);
    assert.equal(copy.contentType, "video/mp4");
    const bytes: Buffer[] = [];
    for await (const chunk of copy.body) bytes.push(chunk as Buffer);
    assert.ok(Buffer.concat(bytes).equals(fx.mp4), "the public copy has the upload's bytes");
    const after = (await services.media.urlsFor([large.id], { publicAudience: true })).get(large.id)!;
    assert.equal(after.expiresAt, undefined);
    assert.equal(after.url, services.storage.publicUrl(main));
    // Idempotent: publishing again (or the job running again) changes nothing.
    assert.equal(await services.media.publish(large.id), "skipped");
    assert.equal(await services.media.copyToPublic(large.id), "skipped");
    assert.deepEqual(await publicKeys(large.id), keys);
  });

  it("a public post queues its large media, a followers-only post none; a copy racing itself is harmless; a released upload is not copied", async () => {
    const postUpload = async () => (await readyUpload(services, ann.userId, fx.mp4, "video/mp4", "post")).id;
    const created = await services.posts.posts.create(ann.actor, createPostSchema.parse({ text: "a big picture", media: [{ uploadId: await postUpload() }] }));
    const uploadId = created.media[0]!.uploadId;
    assert.ok(await jobOf(uploadId), "the public post's large image is queued");
    assert.ok(created.media[0]!.expiresAt !== undefined, "signed links until the copy is made");
    assert.ok((await services.posts.posts.get(ann.actor, created.id)).media[0]!.expiresAt !== undefined);
    const hidden = await services.posts.posts.create(ann.actor, createPostSchema.parse({ text: "followers only", visibility: "followers", media: [{ uploadId: await postUpload() }] }));
    assert.equal(await jobOf(hidden.media[0]!.uploadId), undefined, "nothing of a followers-only post is published");

    // Two runs at once (a retry overlapping a stalled attempt) write the same keys.
    const outcomes = await Promise.all([services.media.copyToPublic(uploadId), services.media.copyToPublic(uploadId)]);
    assert.ok(outcomes.includes("published"), outcomes.join());
    assert.equal((await publicKeys(uploadId)).length, 1);
    assert.equal((await services.posts.posts.get(ann.actor, created.id)).media[0]!.expiresAt, undefined, "stable URLs once copied");

    // The post deleted before its job ran: the released upload is not copied.
    const late = await services.posts.posts.create(ann.actor, createPostSchema.parse({ text: "deleted soon", media: [{ uploadId: await postUpload() }] }));
    const lateId = late.media[0]!.uploadId;
    await services.media.detach(lateId, `post:${late.id}`);
    assert.equal(await services.media.copyToPublic(lateId), "skipped");
    assert.deepEqual(await publicKeys(lateId), []);
  });
});
