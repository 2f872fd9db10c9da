import { randomUUID } from "node:crypto";
import { AppError } from "../errors/app-error.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { JobPayloads } from "../queues/jobs.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { AudienceRepository } from "./audience.repository.js";
import { FAN_OUT_BATCH, fanOutDoc } from "./fan-out-doc.js";
import type { NotificationRepository } from "./notification.repository.js";

/** Recipients per announcement job. */
export const ANNOUNCE_BATCH = FAN_OUT_BATCH;

/** System announcements to every active user, or to holders of a role, fanned out in workers. */
export class AnnouncementService {
  constructor(
    private readonly audience: AudienceRepository,
    private readonly notifications: NotificationRepository,
    private readonly jobs: Pick<JobQueue, "add">,
    private readonly realtime: Pick<Realtime, "toUsers">,
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

  /** One batch: reads up to 1,000 recipients, inserts their notifications at once, queues the next batch. */
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
    return { recipients: recipients.length, inserted, done };
  }
}
