import type { Db } from "mongodb";
import type { Config } from "../config/config.js";
import type { DomainEventBus } from "../events/event-bus.js";
import type { OutboxCollection } from "../events/outbox-sweeper.js";
import type { Logger } from "../logging/logger.js";
import type { MaintenanceTask } from "../maintenance/maintenance.service.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { ObjectStorage } from "../storage/object-storage.js";
import { createObjectStorage } from "../storage/storage-factory.js";
import { mediaCleanupTask } from "./media-cleanup.task.js";
import { MediaRepository } from "./media.repository.js";
import { MediaService } from "./media.service.js";

/** The API path of the resumable (tus 1.0) endpoint. */
export const TUS_PATH = "/api/media/tus";

export interface MediaModuleDeps {
  config: Config;
  db: Db;
  jobs: Pick<JobQueue, "add">;
  realtime: Pick<Realtime, "toUsers">;
  logger: Logger;
  /**
   * A deleted account releases its uploads (`profile.deleted`), a replaced avatar its upload
   * (`profile.avatar-released`, `chat.group-avatar-released`); uploads announce
   * `media.upload-ready` / `media.upload-failed`.
   */
  events: Pick<DomainEventBus, "durable" | "record" | "published" | "hasDurable">;
  /** Defaults to the storage the configuration names. */
  storage?: ObjectStorage;
}

export interface MediaModule {
  services: { media: MediaService; storage: ObjectStorage };
  jobHandlers: { "media.process": (payload: { uploadId: string }) => Promise<unknown>; "media.publish": (payload: { mediaId: string }) => Promise<unknown> };
  finalFailureHooks: { "media.process": (payload: { uploadId: string }, error: Error) => Promise<void> };
  maintenanceTasks: MaintenanceTask[];
  /** Uploads carry their ready/failed events (shard key: owner). */
  outboxCollections: OutboxCollection[];
}

/** Media uploads over the configured object storage. */
export function createMediaModule(deps: MediaModuleDeps): MediaModule {
  const logger = deps.logger.child({ domain: "media" });
  const storage = deps.storage ?? createObjectStorage(deps.config);
  const repository = new MediaRepository(deps.db);
  const media = new MediaService({
    repository,
    storage,
    jobs: deps.jobs,
    realtime: deps.realtime,
    config: deps.config,
    logger,
    tusEndpoint: `${deps.config.PUBLIC_URL.replace(/\/+$/, "")}${TUS_PATH}`,
    events: deps.events,
  });
  // Released, not deleted: the retention period still applies, then the cleanup task purges them.
  // Idempotent: only uploads without a release date get one.
  deps.events.durable("profile.deleted", "media.release-account", async ({ userId }) => void (await media.releaseAllOf(userId)), { inline: true });
  // A replaced or removed avatar: drop exactly that use (the upload is released when nothing else uses it).
  deps.events.durable("profile.avatar-released", "media.release-avatar", ({ mediaId, ref }) => media.detach(mediaId, ref), { inline: true });
  deps.events.durable("chat.group-avatar-released", "media.release-group-avatar", ({ mediaId, ref }) => media.detach(mediaId, ref), { inline: true });
  return {
    services: { media, storage },
    jobHandlers: {
      "media.process": (payload) => media.process(payload.uploadId),
      "media.publish": async (payload) => ({ outcome: await media.copyToPublic(payload.mediaId) }),
    },
    finalFailureHooks: { "media.process": (payload, error) => media.giveUp(payload.uploadId, error) },
    maintenanceTasks: [
      mediaCleanupTask({ repository, storage, media, realtime: deps.realtime, retentionSeconds: deps.config.MEDIA_RELEASE_RETENTION_SECONDS, logger }),
    ],
    outboxCollections: [{ name: "mediaUploads", shardKey: ["ownerId"] }],
  };
}
