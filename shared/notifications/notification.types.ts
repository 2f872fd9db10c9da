import { NOTIFICATION_TYPES, type NotificationType } from "../profiles/profile.types.js";

export { NOTIFICATION_TYPES, type NotificationType };

/** Where a client goes when the notification is opened. */
export interface DeepLink {
  route: "profile" | "post" | "comment" | "video" | "conversation" | "call" | "follow-requests" | "announcement";
  params: Record<string, string>;
}

/** The entity a notification is about (also what groups similar ones). */
export interface NotificationTarget {
  kind: "user" | "post" | "comment" | "video" | "conversation" | "message" | "call" | "announcement";
  id: string;
}

/** One stored notification, or a group of similar ones (likes of one post, new followers...). */
export interface NotificationDoc {
  _id: string;
  recipientId: string;
  type: NotificationType;
  /** Same key, same open window: one group (`type:target` for groupable types, the notification id otherwise). */
  groupKey: string;
  target: NotificationTarget;
  /** Every actor in the group, up to ACTORS_KEPT; `count` keeps counting past it. */
  actorIds: string[];
  /** The latest few actors, newest last (what a client shows). */
  latestActorIds: string[];
  count: number;
  /** What the texts are made of besides the actors: a preview, a title (announcements). */
  data: NotificationData;
  link: DeepLink;
  read: boolean;
  readAt?: Date;
  /** Event ids already applied to this group: a redelivered event changes nothing. */
  sourceIds: string[];
  /** Page order: latest activity first, ties broken by id (`updatedAt|id`). */
  sortKey: string;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date;
}

export interface NotificationData {
  /** A snippet of the message, post or comment. */
  preview?: string;
  /** Announcements and system notices carry their own texts. */
  title?: string;
  body?: string;
  image?: string;
  /** A video's title, a group's name. */
  subject?: string;
}

/** A notification as a client sees it. */
export interface NotificationView {
  id: string;
  type: NotificationType;
  title: string;
  body: string;
  image: string | null;
  link: DeepLink;
  target: NotificationTarget;
  actorIds: string[];
  count: number;
  read: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Builds the view; `texts` are rendered from the type, the actors' names and the data. */
export function toView(doc: NotificationDoc, texts: { title: string; body: string }): NotificationView {
  return {
    id: doc._id,
    type: doc.type,
    title: texts.title,
    body: texts.body,
    image: doc.data.image ?? null,
    link: doc.link,
    target: doc.target,
    actorIds: [...doc.latestActorIds].reverse(),
    count: doc.count,
    read: doc.read,
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/** Types whose notifications fold into one group per target and window. */
export const GROUPED_TYPES: ReadonlySet<NotificationType> = new Set<NotificationType>([
  "follow",
  "post_like",
  "post_share",
  "comment_like",
  "video_like",
  "video_share",
]);

/** Delivery channels a user switches per type. */
export interface ChannelPreference {
  inApp: boolean;
  push: boolean;
  email: boolean;
  /** "following": only from people the recipient follows. */
  from: "everyone" | "following";
}

export type ChannelPreferences = Record<NotificationType, ChannelPreference>;

/** Safe defaults: everything in the app, push for what is personal, e-mail for nothing but system notices. */
export function defaultChannelPreferences(): ChannelPreferences {
  const quiet = new Set<NotificationType>(["video_processed"]);
  return Object.fromEntries(
    NOTIFICATION_TYPES.map((type) => [type, { inApp: true, push: !quiet.has(type), email: type === "system", from: "everyone" }]),
  ) as ChannelPreferences;
}
