import type { Logger } from "../logging/logger.js";
import type { MaintenanceTask } from "../maintenance/maintenance.service.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { ObjectStorage } from "../storage/object-storage.js";
import { STORAGE_PREFIXES, uploadIdOfKey } from "./media-keys.js";
import type { MediaRepository, MediaUploadDoc } from "./media.repository.js";
import type { MediaService } from "./media.service.js";

const BATCH = 500;

export interface MediaCleanupDeps {
  repository: MediaRepository;
  storage: ObjectStorage;
  media: MediaService;
  realtime: Pick<Realtime, "toUsers">;
  retentionSeconds: number;
  logger: Logger;
}

/**
 * Daily upkeep of uploads and storage, idempotent:
 * 1. pending uploads past `expiresAt` whose bytes did arrive are completed
 *    (a client that never called complete); the others become `expired` and
 *    lose their objects (the TTL index removes the document a day later);
 * 2. released uploads past the retention period lose their objects;
 * 3. every object that no upload document claims is deleted, so none is left
 *    behind by a crash, a reused link or a removed document.
 */
export function mediaCleanupTask(deps: MediaCleanupDeps): MaintenanceTask {
  return {
    name: "media.cleanup",
    period: "daily",
    run: (now) => runMediaCleanup(deps, now),
  };
}

export async function runMediaCleanup(deps: MediaCleanupDeps, now = new Date()): Promise<Record<string, number>> {
  const { repository, storage, media } = deps;
  const result = { completed: 0, expired: 0, purged: 0, orphansDeleted: 0 };
  for (;;) {
    const batch = await repository.expiredPending(now, BATCH);
    if (batch.length === 0) break;
    for (const doc of batch) {
      const object = doc.resumable ? null : await storage.head(doc.sourceKey);
      if (object && object.size === doc.size) {
        await media.markUploaded(doc._id);
        result.completed++;
        continue;
      }
      const expired = await repository.transition(doc._id, ["pending"], "expired");
      if (!expired) continue;
      await media.deleteObjects(expired);
      deps.realtime.toUsers([expired.ownerId], "media:status", { id: expired._id, status: "expired", purpose: expired.purpose });
      result.expired++;
    }
    if (batch.length < BATCH) break;
  }
  const cutoff = new Date(now.getTime() - deps.retentionSeconds * 1000);
  for (;;) {
    const batch = await repository.releasedBefore(cutoff, BATCH);
    for (const doc of batch) {
      await media.deleteObjects(doc);
      await repository.markDeleted(doc._id, now);
      result.purged++;
    }
    if (batch.length < BATCH) break;
  }
  result.orphansDeleted = await deleteOrphans(deps);
  deps.logger.debug({ result }, "media cleanup done");
  return result;
}

/** Whether `doc` claims `key` (the tus stores' bookkeeping objects go with their upload's bytes). */
function claims(doc: MediaUploadDoc | undefined, key: string): boolean {
  if (!doc) return false;
  return doc.objects.some((owned) => owned === key || (owned.startsWith("tus/") && key.startsWith(`${owned}.`)));
}

async function deleteOrphans(deps: MediaCleanupDeps): Promise<number> {
  let deleted = 0;
  let pending: string[] = [];
  const flush = async () => {
    const ids = [...new Set(pending.map(uploadIdOfKey).filter((id): id is string => id !== undefined))];
    const docs = new Map((await deps.repository.findByIds(ids)).map((doc) => [doc._id, doc]));
    for (const key of pending) {
      const id = uploadIdOfKey(key);
      if (claims(id ? docs.get(id) : undefined, key)) continue;
      await deps.storage.delete(key);
      deleted++;
    }
    pending = [];
  };
  for (const prefix of STORAGE_PREFIXES) {
    for await (const object of deps.storage.list(prefix)) {
      pending.push(object.key);
      if (pending.length >= BATCH) await flush();
    }
  }
  await flush();
  return deleted;
}
