import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startApi, type ApiServer } from "../../api/server.js";
import { startGateway, type Gateway } from "../../gateway/server.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import type { MediaUploadView } from "../../shared/media/media.types.js";
import type { VideoView } from "../../shared/videos/video.types.js";
import { startWorkers, type WorkerHost } from "../../workers/worker-host.js";
import { httpCall, type ApiResponse } from "../helpers/http.js";
import { loadConfig } from "../../shared/config/config.js";
import { createLogger } from "../../shared/logging/logger.js";
import { createPlatform } from "../../shared/runtime/platform.js";
import { composeModules } from "../../shared/runtime/services.js";
import { testEnv } from "../helpers/test-env.js";
import { waitFor } from "../helpers/ports.js";
import { createTestUser, type TestUser } from "../helpers/users.js";
import { atBase, createUpload } from "../media/media-fixtures.js";

/** Environment every videos test process shares: fast encodes, a private object store (local adapter). */
export function videoEnv(mediaDir: string): Record<string, string> {
  return { MEDIA_STORAGE: "local", MEDIA_LOCAL_DIR: path.join(mediaDir, "objects"), VIDEO_TRANSCODE_PRESET: "ultrafast", VIDEO_WORK_DIR: path.join(mediaDir, "work") };
}

/** Queues the harness's in-process workers run by default: media checks the uploads, events delivers `media.upload-ready`. */
const ALL_QUEUES = "transcode,trending,media,events";

/**
 * In-process stores and services, the API and a gateway on random ports, and
 * in-process workers (by default for transcode, trending, media and events).
 * Sources are real media uploads (purpose `video`): created over HTTP, their
 * bytes PUT to the signed URL, checked by the media job.
 */
export class VideoHarness {
  private constructor(
    readonly platform: Platform,
    readonly services: Services,
    readonly mediaDir: string,
    private readonly api: ApiServer,
    readonly gateway: Gateway,
    private workers: WorkerHost | null,
  ) {}

  /** `queues`: the in-process workers' queues (comma list); `env`: more settings (another storage adapter). */
  static async start(options: { queues?: string; env?: Record<string, string> } = {}): Promise<VideoHarness> {
    const mediaDir = await mkdtemp(path.join(tmpdir(), "cw-videos-"));
    // This harness's settings go to its own config only: other areas' tests share process.env.
    const config = loadConfig({ ...process.env, ...videoEnv(mediaDir), WORKER_QUEUES: options.queues ?? ALL_QUEUES, ...options.env });
    const platform = await createPlatform(config, createLogger(config).child({ role: "test" }), testEnv.mongoUrl);
    const { services, jobs } = composeModules(platform);
    const api = await startApi(platform, services, 0);
    const gateway = await startGateway(platform, services, 0);
    const workers = await startWorkers(platform, jobs, 0);
    return new VideoHarness(platform, services, mediaDir, api, gateway, workers);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.api.port}`;
  }

  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.gateway.port}`;
  }

  user(): Promise<TestUser> {
    return createTestUser(this.services);
  }

  async call(method: string, route: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
    const ip = `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0]! % 250)}`;
    return httpCall(this.baseUrl, method, route, { token: options.token, body: options.body, headers: { "x-forwarded-for": ip, ...options.headers } });
  }

  /**
   * A real media upload of `file` (purpose `video`): created over the API, its
   * bytes PUT to the signed URL (the local adapter marks it uploaded, the
   * media job checks it). Returns the upload id without waiting for the check.
   */
  async upload(user: TestUser, file: string, mimeType = "video/mp4"): Promise<string> {
    const upload = await this.startUpload(user, file, mimeType);
    await upload.send();
    return upload.id;
  }

  /** Creates a pending upload of `file`; `send` PUTs its bytes to the signed URL. */
  async startUpload(user: TestUser, file: string, mimeType = "video/mp4"): Promise<{ id: string; send: () => Promise<void> }> {
    const bytes = await readFile(file);
    const created = await createUpload(this.baseUrl, user.accessToken, { purpose: "video", mimeType, size: bytes.length });
    if (created.status !== 201 || !created.body.put) throw new Error(`upload not created: ${created.status} ${JSON.stringify(created.body)}`);
    const target = created.body.put;
    const id = created.body.upload.id;
    const local = this.platform.config.MEDIA_STORAGE === "local";
    const send = async () => {
      // The local adapter's URL names PUBLIC_URL, not this test's port; a presigned S3 URL is used as it is.
      const put = await fetch(local ? atBase(this.baseUrl, target.url) : target.url, { method: "PUT", body: bytes, headers: target.headers });
      await put.arrayBuffer();
      if (put.status >= 300) throw new Error(`upload PUT failed: ${put.status}`);
      // The API sees a local PUT itself; after a PUT to the bucket the client says it is done.
      if (!local) {
        const completed = await this.call("POST", `/api/media/uploads/${id}/complete`, { token: user.accessToken });
        if (completed.status !== 200) throw new Error(`upload not completed: ${completed.status} ${JSON.stringify(completed.body)}`);
      }
    };
    return { id, send };
  }

  /** Waits until the media job settled upload `uploadId` (ready, failed or expired). */
  async uploadSettled(user: TestUser, uploadId: string, timeoutMs = 30_000): Promise<MediaUploadView> {
    let upload: MediaUploadView | undefined;
    await waitFor(async () => {
      upload = await this.services.media.get(user.userId, uploadId);
      return upload.status === "ready" || upload.status === "failed" || upload.status === "expired";
    }, timeoutMs, `upload ${uploadId} to settle`);
    return upload!;
  }

  /**
   * The client's order: start the upload, create the video (`uploading`), then
   * send the bytes; the video moves on with `media.upload-ready` (or fails with
   * `media.upload-failed`). Returns the view the creation answered.
   */
  async createVideo(user: TestUser, file: string, fields: Record<string, unknown> = {}): Promise<VideoView> {
    const upload = await this.startUpload(user, file);
    const video = await this.createFrom(user, upload.id, fields);
    await upload.send();
    return video;
  }

  /** Creates a video from an existing upload id. */
  async createFrom(user: TestUser, uploadId: string, fields: Record<string, unknown> = {}): Promise<VideoView> {
    const res = await this.call("POST", "/api/videos", { token: user.accessToken, body: { uploadId, type: "long", title: "A test video", ...fields } });
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.video as VideoView;
  }

  /** Keys of every object under a video's prefix in the shared storage. */
  async videoKeys(videoId: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const object of this.services.storage.list(`videos/${videoId}/`)) keys.push(object.key);
    return keys.sort();
  }

  /** Waits until the video leaves uploaded/processing (read through the service, not to spend the API's budget); returns the owner's view. */
  async settled(user: TestUser, videoId: string, timeoutMs = 60_000): Promise<VideoView> {
    let video: VideoView | undefined;
    await waitFor(async () => {
      video = await this.services.videos.videos.get(user.userId, videoId);
      return video.status === "ready" || video.status === "failed";
    }, timeoutMs, `video ${videoId} to settle`);
    return video!;
  }

  /** A playback URL (built from PUBLIC_URL) pointed at this test's API. */
  local(url: string): string {
    const parsed = new URL(url);
    return `${this.baseUrl}${parsed.pathname}${parsed.search}`;
  }

  async close(): Promise<void> {
    await this.workers?.close(2_000);
    this.workers = null;
    await this.gateway.close();
    await this.api.close();
    await this.platform.close();
    await rm(this.mediaDir, { recursive: true, force: true });
  }
}
