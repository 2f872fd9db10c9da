import type { Logger } from "../logging/logger.js";
import type { OutboundMessenger } from "../messaging/outbound-message.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { JobPayloads } from "../queues/jobs.js";
import type { AudienceRepository } from "./audience.repository.js";
import type { DigestStateRepository } from "./digest-state.repository.js";
import type { NotificationSettingsRepository } from "./notification-settings.repository.js";
import type { NotificationRepository } from "./notification.repository.js";
import type { NotificationService } from "./notification.service.js";
import { defaultChannelPreferences, NOTIFICATION_TYPES, type NotificationDoc, type NotificationType } from "./notification.types.js";

type DigestJob = JobPayloads["notifications.email-digest"];

/** Users per digest job: one page of addresses, one settings read, one state read, one notifications read. */
export const DIGEST_BATCH = 1_000;
/** A first digest looks back this far. */
const FIRST_LOOKBACK_MS = 24 * 3600 * 1000;
/** Lines in one digest (the count says how many more there are). */
const LINES = 10;

export interface DigestOptions {
  /** Where the e-mail sends the reader (`<PUBLIC_URL>/notifications`). */
  publicUrl: string;
}

/** The period a run belongs to: its UTC day. Two runs the same day are the same period. */
export const digestPeriod = (at: Date): string => at.toISOString().slice(0, 10);

/**
 * The daily e-mail digest: to each active user with a verified address, the
 * unread notification groups of the types whose e-mail channel they switched
 * on, that changed since their last digest. Users with nothing new get
 * nothing. One digest per user per period: claimed by a conditional upsert
 * before sending, released if the send fails (the retry sends it). Runs in
 * jobs of 1,000 users, each queueing the next (deterministic ids).
 */
export class EmailDigestService {
  constructor(
    private readonly audience: Pick<AudienceRepository, "emailPage">,
    private readonly settings: Pick<NotificationSettingsRepository, "getMany">,
    private readonly states: DigestStateRepository,
    private readonly notifications: Pick<NotificationRepository, "unreadSince">,
    private readonly texts: Pick<NotificationService, "views">,
    private readonly mailer: OutboundMessenger,
    private readonly jobs: Pick<JobQueue, "add">,
    private readonly options: DigestOptions,
    private readonly logger: Logger,
  ) {}

  /** One page of users (the scheduler's run starts at the first, with today's period). */
  async runBatch(job: DigestJob, now = new Date()): Promise<{ period: string; users: number; sent: number; alreadySent: number; done: boolean }> {
    const period = job.period ?? digestPeriod(now);
    const users = await this.audience.emailPage(job.afterUserId ?? undefined, DIGEST_BATCH);
    const last = users[users.length - 1];
    const done = users.length < DIGEST_BATCH || !last;
    if (!done) await this.jobs.add("notifications.email-digest", { period, afterUserId: last.id });

    const wanted = await this.emailTypes(users.map((user) => user.id));
    const lastSent = await this.states.lastSent([...wanted.keys()]);
    const since = (userId: string): Date => lastSent.get(userId) ?? new Date(now.getTime() - FIRST_LOOKBACK_MS);
    const oldest = new Date(Math.min(now.getTime(), ...[...wanted.keys()].map((id) => since(id).getTime())));
    const unread = await this.notifications.unreadSince([...wanted.keys()], oldest);
    const byUser = new Map<string, NotificationDoc[]>();
    for (const doc of unread) {
      if (doc.updatedAt <= since(doc.recipientId) || !wanted.get(doc.recipientId)?.has(doc.type)) continue;
      byUser.set(doc.recipientId, [...(byUser.get(doc.recipientId) ?? []), doc]);
    }
    let sent = 0;
    let alreadySent = 0;
    const failures: unknown[] = [];
    for (const user of users) {
      const docs = byUser.get(user.id);
      if (!docs) continue;
      const claim = await this.states.claim(user.id, period, now);
      if (!claim.claimed) {
        alreadySent++;
        continue;
      }
      try {
        await this.mailer.send({ channel: "email", to: user.email, kind: "notification_digest", ...(await this.compose(docs)) });
        sent++;
      } catch (error) {
        await this.states.release(user.id, period, claim.previous);
        failures.push(error);
        this.logger.warn({ err: error, userId: user.id }, "notification digest not sent; the job retries it");
      }
    }
    // Retrying the job retries only the digests that failed: the others are claimed.
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} digest(s) could not be sent`);
    return { period, users: users.length, sent, alreadySent, done };
  }

  /** The types each user wants by e-mail; users who want none are left out. */
  private async emailTypes(userIds: readonly string[]): Promise<Map<string, Set<NotificationType>>> {
    const stored = await this.settings.getMany(userIds);
    const defaults = defaultChannelPreferences();
    const result = new Map<string, Set<NotificationType>>();
    for (const userId of userIds) {
      const channels = stored.get(userId)?.channels ?? {};
      const types = new Set(NOTIFICATION_TYPES.filter((type) => channels[type]?.email ?? defaults[type].email));
      if (types.size > 0) result.set(userId, types);
    }
    return result;
  }

  private async compose(docs: NotificationDoc[]): Promise<{ subject: string; text: string }> {
    const newest = [...docs].sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime());
    const views = await this.texts.views(newest.slice(0, LINES));
    const lines = views.map((view) => `- ${view.title}: ${view.body}`);
    if (newest.length > LINES) lines.push(`- and ${newest.length - LINES} more`);
    const link = new URL("/notifications", this.options.publicUrl).toString();
    const subject = newest.length === 1 ? "You have 1 new notification" : `You have ${newest.length} new notifications`;
    return { subject, text: `${lines.join("\n")}\n\nOpen them: ${link}\n\nChoose which notifications reach you by e-mail in your notification settings.` };
  }
}
