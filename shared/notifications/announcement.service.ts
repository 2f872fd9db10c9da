import { randomUUID } from "node:crypto";
import { AppError } from "../errors/app-error.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { JobPayloads } from "../queues/jobs.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { AudienceRepository } from "./audience.repository.js";
import { FAN_OUT_BATCH, fanOutDoc } from "./fan-out-doc.js";
import type { ProfileService } from "../profiles/profile.service.js";
import type { NotificationSettingsRepository } from "./notification-settings.repository.js";
import { pushWantedAmong } from "./notification-preferences.js";
import type { NotificationRepository } from "./notification.repository.js";
import type { PushDelivery } from "./push-delivery.js";

/** Recipients per announcement job. */
export const ANNOUNCE_BATCH = FAN_OUT_BATCH;

/**
 * System announcements to every active user, or to holders of a role, fanned
 * out in workers: per batch of 1,000, one insert, one socket publish, and device
 * pushes to the recipients with no device connected whose "system" push switch is on.
 */
export class AnnouncementService {
  constructor(
    private readonly audience: AudienceRepository,
    private readonly notifications: Pick<NotificationRepository, "insertMany" | "unreadCount">,
    private readonly jobs: Pick<JobQueue, "add">,
    private readonly realtime: Pick<Realtime, "toUsers">,
    private readonly push: Pick<PushDelivery, "toOfflineAmong">,
    private readonly preferences: { profiles: Pick<ProfileService, "notificationPreferencesMany">; settings: Pick<NotificationSettingsRepository, "getMany"> },
    private readonly lifetimeMs: number,
  ) {}

  /** Queues the announcement; admins only (checked in PostgreSQL). Never fans out in the request. */
  async announce(actor: { userId: string }, input: { title: string; body: string; role?: string | undefined }): Promise<{ announcementId: string; queued: true }> {
    if (!(await this.audience.hasRole(actor.userId, "admin"))) throw new AppError("FORBIDDEN", "Only administrators can send announcements");
    const announcementId = randomUUID();
    await this.jobs.add("notifications.announce", {
      announcementId,
      title: input.title,
      body: input.body,
      role: input.role ?? null,
      afterUserId: null,
      at: new Date().toISOString(),
    });
    return { announcementId, queued: true };
  }

  /**
   * One batch: reads up to 1,000 recipients, inserts their notifications at
   * once, queues the next batch, publishes, and pushes to the devices of those
   * whose notification this run inserted (a retried batch buzzes nobody twice).
   */
  async runBatch(job: JobPayloads["notifications.announce"]): Promise<{ recipients: number; inserted: number; done: boolean }> {
    const recipients = await this.audience.page(job.afterUserId ?? undefined, ANNOUNCE_BATCH, job.role ?? undefined);
    const at = new Date(job.at);
    const notification = {
      type: "system" as const,
      target: { kind: "announcement" as const, id: job.announcementId },
      actorId: "system",
      data: { title: job.title, body: job.body },
      link: { route: "announcement" as const, params: { announcementId: job.announcementId } },
      at,
      expiresAt: new Date(at.getTime() + this.lifetimeMs),
    };
    const docs = recipients.map((recipientId) => fanOutDoc(recipientId, notification));
    const inserted = await this.notifications.insertMany(docs);
    const last = recipients[recipients.length - 1];
    const done = recipients.length < ANNOUNCE_BATCH || !last;
    if (!done) await this.jobs.add("notifications.announce", { ...job, afterUserId: last });
    if (recipients.length > 0) {
      // One publish for the whole batch; clients refresh their list and count.
      this.realtime.toUsers(recipients, "notification:new", {
        id: job.announcementId,
        type: "system",
        title: job.title,
        body: job.body,
        image: null,
        link: { route: "announcement", params: { announcementId: job.announcementId } },
        target: { kind: "announcement", id: job.announcementId },
        actorIds: [],
        count: 1,
        read: false,
        createdAt: at.toISOString(),
        updatedAt: at.toISOString(),
      });
    }
    if (inserted.length > 0) {
      const ids = new Map(inserted.map((doc) => [doc.recipientId, doc._id]));
      const { profiles, settings } = this.preferences;
      await this.push.toOfflineAmong([...ids.keys()], (recipientId) => ({ notificationId: ids.get(recipientId)!, type: "system", title: job.title, body: job.body, link: notification.link }), {
        wantPush: (userIds) => pushWantedAmong(profiles, settings, userIds, "system"),
        unreadCount: (recipientId) => this.notifications.unreadCount(recipientId),
      });
    }
    return { recipients: recipients.length, inserted: inserted.length, done };
  }
}
