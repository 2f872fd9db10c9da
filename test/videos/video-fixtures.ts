import { randomBytes } from "node:crypto";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startApi, type ApiServer } from "../../api/server.js";
import { startGateway, type Gateway } from "../../gateway/server.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
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

/** Environment every videos test process shares: fast encodes, a private media directory. */
export function videoEnv(mediaDir: string): Record<string, string> {
  return { MEDIA_DIR: mediaDir, VIDEO_TRANSCODE_PRESET: "ultrafast", VIDEO_WORK_DIR: path.join(mediaDir, "work") };
}

/**
 * In-process stores and services, the API and a gateway on random ports, and
 * (optionally) workers for the transcode and trending queues. Sources are
 * "uploaded" by copying them where the upload stand-in looks for them.
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

  static async start(options: { workers?: boolean } = {}): Promise<VideoHarness> {
    const mediaDir = await mkdtemp(path.join(tmpdir(), "cw-videos-"));
    // This harness's settings go to its own config only: other areas' tests share process.env.
    const config = loadConfig({ ...process.env, ...videoEnv(mediaDir), WORKER_QUEUES: "transcode,trending" });
    const platform = await createPlatform(config, createLogger(config).child({ role: "test" }), testEnv.mongoUrl);
    const { services, jobs } = composeModules(platform);
    const api = await startApi(platform, services, 0);
    const gateway = await startGateway(platform, services, 0);
    const workers = options.workers === false ? null : await startWorkers(platform, jobs, 0);
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

  /** Puts a local file where the upload stand-in finds upload `uploadId` of `user`; returns the id. */
  async upload(user: TestUser, file: string): Promise<string> {
    const uploadId = randomBytes(12).toString("base64url");
    const target = path.join(this.mediaDir, "uploads", user.userId, uploadId);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(file, target);
    return uploadId;
  }

  /** Uploads and creates a video; returns its view. */
  async createVideo(user: TestUser, file: string, fields: Record<string, unknown> = {}): Promise<VideoView> {
    const uploadId = await this.upload(user, file);
    const res = await this.call("POST", "/api/videos", { token: user.accessToken, body: { uploadId, type: "long", title: "A test video", ...fields } });
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.video as VideoView;
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
