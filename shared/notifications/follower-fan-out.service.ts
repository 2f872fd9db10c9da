import type { AccessControl } from "../access/access-control.js";
import type { ProfileService } from "../profiles/profile.service.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { JobPayloads } from "../queues/jobs.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { FollowRepository } from "../social/follow.repository.js";
import type { AuthorSubscriptionRepository } from "./author-subscription.repository.js";
import { FAN_OUT_BATCH, fanOutDoc, type FanOutNotification } from "./fan-out-doc.js";
import type { NotificationSettingsRepository } from "./notification-settings.repository.js";
import { effectivePreferences } from "./notification-preferences.js";
import type { NotificationRepository } from "./notification.repository.js";
import type { PushDelivery } from "./push-delivery.js";
import { renderTexts } from "./notification.texts.js";
import { toView, type NotificationType } from "./notification.types.js";

type FanOutJob = JobPayloads["notifications.follower-fanout"];

/** Who may see a source, as it is now: its author and audience; null when it is gone. */
export interface FanOutSource {
  authorId: string;
  /** `none`: nobody but the author (private, unlisted, not ready): nothing is sent. */
  audience: "public" | "followers" | "friends" | "none";
  /** A snippet of a post, a video's title. */
  preview: string;
}

/** Reads the post or video a fan-out announces (reloaded by every batch: it may have changed). */
export interface FanOutSources {
  post(postId: string): Promise<FanOutSource | null>;
  video(videoId: string): Promise<FanOutSource | null>;
}

/**
 * New posts and videos, told to the author's followers who asked for them
 * ("notify me of new posts/videos"), in jobs of up to 1,000 subscribers. Each
 * batch re-checks the source (deleted or narrowed: stop), the follow (still
 * accepted), blocks either way, the post's audience (friends: the author
 * follows back) and the recipient's switches for the type, then writes with
 * one insert (deterministic ids) and one socket publish, and pushes to the
 * devices of recipients with none connected (those whose notification this
 * run inserted: a retried batch buzzes nobody twice).
 */
export class FollowerFanOutService {
  constructor(
    private readonly sources: FanOutSources,
    private readonly subscriptions: AuthorSubscriptionRepository,
    private readonly follows: Pick<FollowRepository, "acceptedFollowersAmong" | "statusesFrom">,
    private readonly access: Pick<AccessControl, "blockedAmong">,
    private readonly profiles: Pick<ProfileService, "notificationPreferencesMany" | "getMany">,
    private readonly settings: Pick<NotificationSettingsRepository, "getMany">,
    private readonly notifications: Pick<NotificationRepository, "insertMany" | "unreadCount">,
    private readonly jobs: Pick<JobQueue, "add">,
    private readonly realtime: Pick<Realtime, "toUsers">,
    private readonly push: Pick<PushDelivery, "toOfflineAmong">,
    private readonly lifetimeMs: number,
  ) {}

  /** Queues the first batch (called by the event's durable subscriber; the job id makes a redelivery a no-op). */
  async start(kind: FanOutJob["kind"], sourceId: string, authorId: string, at: Date): Promise<void> {
    await this.jobs.add("notifications.follower-fanout", { kind, sourceId, authorId, afterUserId: null, at: at.toISOString() });
  }

  async runBatch(job: FanOutJob): Promise<{ subscribers: number; inserted: number; done: boolean } | { skipped: string }> {
    const source = job.kind === "post" ? await this.sources.post(job.sourceId) : await this.sources.video(job.sourceId);
    if (!source || source.authorId !== job.authorId) return { skipped: `${job.kind} gone` };
    if (source.audience === "none") return { skipped: `${job.kind} not visible to followers` };
    const subscribers = await this.subscriptions.page(job.authorId, job.kind === "post" ? "posts" : "videos", job.afterUserId, FAN_OUT_BATCH);
    const type = job.kind === "post" ? "post_published" : "video_published";
    const recipients = await this.allowed(job.authorId, source, type, subscribers);
    const at = new Date(job.at);
    const notification: FanOutNotification = {
      type,
      target: { kind: job.kind, id: job.sourceId },
      actorId: job.authorId,
      data: job.kind === "post" ? { preview: source.preview.slice(0, 140) } : { subject: source.preview.slice(0, 140) },
      link: job.kind === "post" ? { route: "post", params: { postId: job.sourceId } } : { route: "video", params: { videoId: job.sourceId } },
      at,
      expiresAt: new Date(at.getTime() + this.lifetimeMs),
    };
    const inserted = await this.notifications.insertMany(recipients.inApp.map((recipientId) => fanOutDoc(recipientId, notification)));
    const last = subscribers[subscribers.length - 1];
    const done = subscribers.length < FAN_OUT_BATCH || !last;
    if (!done) await this.jobs.add("notifications.follower-fanout", { ...job, afterUserId: last });
    if (recipients.inApp.length === 0 && recipients.pushOnly.length === 0) return { subscribers: subscribers.length, inserted: 0, done };
    // Texts rendered once for the batch.
    const names = new Map([...(await this.profiles.getMany([job.authorId]))].map(([id, summary]) => [id, summary.displayName]));
    const sample = fanOutDoc(job.authorId, notification);
    const view = toView(sample, renderTexts(sample, names));
    // One publish for the whole batch; clients refresh their list and count.
    if (recipients.inApp.length > 0) this.realtime.toUsers(recipients.inApp, "notification:new", { ...view, id: job.sourceId });
    const pushTo = new Map(inserted.map((doc) => [doc.recipientId, doc._id]));
    for (const recipientId of recipients.pushOnly) pushTo.set(recipientId, fanOutDoc(recipientId, notification)._id);
    if (pushTo.size > 0) {
      await this.push.toOfflineAmong([...pushTo.keys()], (recipientId) => ({ notificationId: pushTo.get(recipientId)!, type, title: view.title, body: view.body, link: view.link }), {
        wantPush: async () => recipients.wantPush,
        unreadCount: (recipientId) => this.notifications.unreadCount(recipientId),
      });
    }
    return { subscribers: subscribers.length, inserted: inserted.length, done };
  }

  /**
   * The subscribers who still follow, are not blocked either way and may see
   * the source, split by their switches for the type: in the app (stored and
   * published, perhaps pushed too) or pushed only; `wantPush` is everyone with push on.
   */
  private async allowed(authorId: string, source: FanOutSource, type: NotificationType, subscribers: readonly string[]): Promise<{ inApp: string[]; pushOnly: string[]; wantPush: Set<string> }> {
    const none = { inApp: [], pushOnly: [], wantPush: new Set<string>() };
    if (subscribers.length === 0) return none;
    const candidates = subscribers.filter((id) => id !== authorId);
    const [following, blocked, followedBack] = await Promise.all([
      this.follows.acceptedFollowersAmong(authorId, candidates),
      this.access.blockedAmong(authorId, candidates),
      source.audience === "friends" ? this.follows.statusesFrom(authorId, candidates) : Promise.resolve(undefined),
    ]);
    const visible = candidates.filter((id) => following.has(id) && !blocked.has(id) && (!followedBack || followedBack.get(id) === "accepted"));
    if (visible.length === 0) return none;
    const [switches, stored] = await Promise.all([this.profiles.notificationPreferencesMany(visible), this.settings.getMany(visible)]);
    const result = { inApp: [] as string[], pushOnly: [] as string[], wantPush: new Set<string>() };
    for (const id of visible) {
      const profile = switches.get(id);
      if (!profile) continue;
      const preference = effectivePreferences(profile, stored.get(id)?.channels ?? {})[type];
      if (preference.push) result.wantPush.add(id);
      if (preference.inApp) result.inApp.push(id);
      else if (preference.push) result.pushOnly.push(id);
    }
    return result;
  }
}
