import { createHash } from "node:crypto";
import type { AccessControl } from "../access/access-control.js";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import type { ProfileService } from "../profiles/profile.service.js";
import type { Realtime } from "../runtime/socket-events.js";
import type { FollowRepository } from "../social/follow.repository.js";
import type { NotificationSettingsRepository, StoredChannels } from "./notification-settings.repository.js";
import { effectivePreferences } from "./notification-preferences.js";
import type { NotificationRepository } from "./notification.repository.js";
import { renderTexts } from "./notification.texts.js";
import {
  GROUPED_TYPES,
  toView,
  type ChannelPreferences,
  type DeepLink,
  type NotificationData,
  type NotificationDoc,
  type NotificationTarget,
  type NotificationType,
  type NotificationView,
} from "./notification.types.js";
import type { PushDelivery } from "./push-delivery.js";

/** One notification to deliver, as a domain event's subscriber describes it. */
export interface NotifyRequest {
  recipientId: string;
  type: NotificationType;
  /** Who caused it ("system" for announcements). */
  actorId: string;
  target: NotificationTarget;
  link: DeepLink;
  data?: NotificationData;
  /** The domain event's id: a redelivered event changes nothing. */
  eventId: string;
  at: Date;
  /** The post it concerns, for per-post mutes. */
  postId?: string;
  /** Chat messages group per conversation and count every message. */
  countBy?: "actor" | "event";
  groupKey?: string;
}

export type NotifyOutcome = "stored" | "pushed" | "duplicate" | `dropped:${string}`;

export interface NotificationsConfig {
  /** How long similar notifications keep folding into one group. */
  groupWindowMs: number;
  /** Lifetime of a notification (TTL), per type where it differs. */
  lifetimeMs: number;
  lifetimeByType?: Partial<Record<NotificationType, number>>;
}

const hash = (...parts: string[]): string => createHash("sha256").update(parts.join("|")).digest("base64url").slice(0, 32);

/**
 * Notifications: one service consumes the domain events of every producer
 * (through the module's durable subscribers), drops what the recipient would
 * not want (self, blocked actors, switched-off types, "people I follow only",
 * muted posts), folds similar ones into groups, pushes to connected devices
 * and, for devices that are not connected, through the push port.
 */
export class NotificationService {
  constructor(
    private readonly notifications: NotificationRepository,
    private readonly settings: NotificationSettingsRepository,
    private readonly profiles: Pick<ProfileService, "notificationPreferences" | "getMany">,
    private readonly follows: Pick<FollowRepository, "statusesFrom">,
    private readonly access: Pick<AccessControl, "isBlockedEitherWay">,
    private readonly realtime: Pick<Realtime, "toUsers">,
    private readonly push: PushDelivery,
    private readonly config: NotificationsConfig,
    private readonly logger: Logger,
  ) {}

  /** Delivers one notification (idempotent on `eventId`). */
  async notify(request: NotifyRequest): Promise<NotifyOutcome> {
    const { recipientId, actorId, type } = request;
    if (recipientId === actorId) return "dropped:self";
    // Independent reads run together: each sequential round trip sits between the event and the push.
    const [preferences, blocked] = await Promise.all([
      this.preferencesOf(recipientId),
      actorId === "system" ? Promise.resolve(false) : this.access.isBlockedEitherWay(recipientId, actorId),
    ]);
    if (!preferences) return "dropped:no-profile";
    const preference = preferences.channels[type];
    if (!preference.inApp && !preference.push) return "dropped:preference";
    if (request.postId && preferences.mutedPosts.includes(request.postId)) return "dropped:muted-post";
    if (blocked) return "dropped:blocked";
    if (actorId !== "system" && preference.from === "following" && (await this.follows.statusesFrom(recipientId, [actorId])).get(actorId) !== "accepted") return "dropped:not-following";
    if (!preference.inApp) {
      await this.push.toOfflineDevices(recipientId, this.pushPayloadFor(request), { unreadCount: await this.notifications.unreadCount(recipientId) });
      return "pushed";
    }
    const doc = await this.store(request);
    if (!doc) return "duplicate";
    // The view goes out as soon as it is rendered; the count follows.
    const pushed = this.views([doc]).then(([rendered]) => {
      this.realtime.toUsers([recipientId], "notification:new", rendered!);
      return rendered!;
    });
    const [view, unreadCount] = await Promise.all([pushed, this.notifications.unreadCount(recipientId)]);
    this.realtime.toUsers([recipientId], "notification:unread-count", { unreadCount });
    if (preference.push) await this.push.toOfflineDevices(recipientId, { notificationId: view.id, type, title: view.title, body: view.body, link: view.link }, { unreadCount });
    return "stored";
  }

  /** Takes an actor back out of a group (unlike, unfollow); a group left empty goes. */
  async retract(recipientId: string, type: NotificationType, target: NotificationTarget, actorId: string): Promise<void> {
    const removed = await this.notifications.removeActor(recipientId, groupKeyOf(type, target), actorId);
    if (!removed) return;
    this.realtime.toUsers([recipientId], "notification:unread-count", { unreadCount: await this.notifications.unreadCount(recipientId) });
  }

  /** A page of the recipient's notifications (groups), latest activity first. */
  async list(actorId: string, query: { type?: NotificationType | undefined; unreadOnly?: boolean | undefined; cursor?: string | undefined; limit: number }): Promise<{ items: NotificationView[]; nextCursor: string | null }> {
    const docs = await this.notifications.page({ recipientId: actorId, type: query.type, unreadOnly: query.unreadOnly, before: query.cursor && decodeCursor(query.cursor), limit: query.limit + 1 });
    const page = docs.slice(0, query.limit);
    const last = page[page.length - 1];
    return { items: await this.views(page), nextCursor: docs.length > query.limit && last ? encodeCursor(last.sortKey) : null };
  }

  async unreadCount(actorId: string): Promise<{ unreadCount: number }> {
    return { unreadCount: await this.notifications.unreadCount(actorId) };
  }

  /** Marks some, all, or all up to a time as read; answers the new unread count. */
  async markRead(actorId: string, input: { ids?: string[] | undefined; all?: boolean | undefined; upTo?: Date | undefined }): Promise<{ marked: number; unreadCount: number }> {
    const now = new Date();
    const marked = input.ids ? await this.notifications.markRead(actorId, input.ids, now) : await this.notifications.markAllRead(actorId, input.upTo ?? now, now);
    const unreadCount = await this.notifications.unreadCount(actorId);
    if (marked > 0) this.realtime.toUsers([actorId], "notification:unread-count", { unreadCount });
    return { marked, unreadCount };
  }

  async delete(actorId: string, id: string): Promise<void> {
    if (!(await this.notifications.delete(actorId, id))) throw new AppError("NOT_FOUND", "No such notification");
    this.realtime.toUsers([actorId], "notification:unread-count", { unreadCount: await this.notifications.unreadCount(actorId) });
  }

  /** Effective preferences per type and channel. */
  async getPreferences(actorId: string): Promise<{ types: ChannelPreferences; mutedPosts: string[] }> {
    const preferences = await this.preferencesOf(actorId);
    if (!preferences) throw new AppError("PROFILE_NOT_FOUND", "Profile not found");
    return { types: preferences.channels, mutedPosts: preferences.mutedPosts };
  }

  /**
   * Changes channel switches. The in-app switch is the profile's notification
   * preference, written through `setInApp` (the profiles service); the others here.
   */
  async setPreferences(actorId: string, changes: StoredChannels & Partial<Record<NotificationType, { inApp?: boolean }>>, setInApp: (switches: Partial<Record<NotificationType, boolean>>) => Promise<unknown>): Promise<{ types: ChannelPreferences; mutedPosts: string[] }> {
    const inApp: Partial<Record<NotificationType, boolean>> = {};
    const channels: StoredChannels = {};
    for (const [type, fields] of Object.entries(changes) as Array<[NotificationType, { inApp?: boolean; push?: boolean; email?: boolean; from?: "everyone" | "following" }]>) {
      if (fields.inApp !== undefined) inApp[type] = fields.inApp;
      const { inApp: _inApp, ...rest } = fields;
      if (Object.keys(rest).length > 0) channels[type] = rest;
    }
    if (Object.keys(inApp).length > 0) await setInApp(inApp);
    if (Object.keys(channels).length > 0) await this.settings.setChannels(actorId, channels, new Date());
    return this.getPreferences(actorId);
  }

  async mutePost(actorId: string, postId: string, muted: boolean): Promise<{ muted: boolean }> {
    await this.settings.mutePost(actorId, postId, muted, new Date());
    return { muted };
  }

  /** Views with texts rendered from the actors' current names (one profile read per page). */
  async views(docs: readonly NotificationDoc[]): Promise<NotificationView[]> {
    const actorIds = [...new Set(docs.flatMap((doc) => doc.latestActorIds).filter((id) => id !== "system"))];
    const summaries = await this.profiles.getMany(actorIds);
    const names = new Map([...summaries].map(([id, summary]) => [id, summary.displayName]));
    return docs.map((doc) => toView(doc, renderTexts(doc, names)));
  }

  private async store(request: NotifyRequest): Promise<NotificationDoc | null> {
    const lifetime = this.config.lifetimeByType?.[request.type] ?? this.config.lifetimeMs;
    const fields = { target: request.target, link: request.link, data: request.data ?? {}, expiresAt: new Date(request.at.getTime() + lifetime) };
    const grouped = request.countBy === "event" || GROUPED_TYPES.has(request.type);
    const groupKey = request.groupKey ?? (grouped ? groupKeyOf(request.type, request.target) : `${request.type}:${request.eventId}`);
    // A group's id names its window, so a redelivered event lands in the same group.
    const window = grouped ? Math.floor(request.at.getTime() / this.config.groupWindowMs).toString() : request.eventId;
    return this.notifications.applyToGroup({
      id: hash(request.recipientId, groupKey, window),
      recipientId: request.recipientId,
      type: request.type,
      groupKey,
      actorId: request.actorId,
      eventId: request.eventId,
      countBy: request.countBy ?? (grouped ? "actor" : "event"),
      at: request.at,
      fields,
    });
  }

  private pushPayloadFor(request: NotifyRequest): { notificationId: string; type: string; title: string; body: string; link: DeepLink } {
    const draft = { _id: "", type: request.type, latestActorIds: [request.actorId], count: 1, data: request.data ?? {} } as unknown as NotificationDoc;
    const texts = renderTexts(draft, new Map());
    return { notificationId: request.eventId, type: request.type, title: texts.title, body: texts.body, link: request.link };
  }

  private async preferencesOf(userId: string): Promise<{ channels: ChannelPreferences; mutedPosts: string[] } | null> {
    const [profile, stored] = await Promise.all([this.profiles.notificationPreferences(userId), this.settings.get(userId)]);
    if (!profile) return null;
    return { channels: effectivePreferences(profile, stored.channels), mutedPosts: stored.mutedPosts };
  }
}

/** Similar notifications share this key: likes of one post, follows of one user... */
export const groupKeyOf = (type: NotificationType, target: NotificationTarget): string => `${type}:${target.kind}:${target.id}`;

const encodeCursor = (sortKey: string): string => Buffer.from(sortKey, "utf8").toString("base64url");

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, "base64url").toString("utf8");
  if (!/^\d{15}\|[A-Za-z0-9_-]{1,64}$/.test(decoded)) throw new AppError("VALIDATION_FAILED", "Invalid cursor", { field: "cursor" });
  return decoded;
}
