import { createHash } from "node:crypto";
import { sortKeyOf } from "./notification.repository.js";
import type { DeepLink, NotificationData, NotificationDoc, NotificationTarget, NotificationType } from "./notification.types.js";

/** Recipients per fan-out job: one page read, one insert, one publish, one next-job add. */
export const FAN_OUT_BATCH = 1_000;

/** What every recipient of one fanned-out event gets. */
export interface FanOutNotification {
  type: NotificationType;
  /** What the fan-out is about (an announcement, a post, a video): the id is part of every notification id. */
  target: NotificationTarget;
  actorId: string;
  data: NotificationData;
  link: DeepLink;
  at: Date;
  expiresAt: Date;
}

/**
 * One recipient's notification of a fanned-out event, with an id derived from
 * the recipient, the type and the target: a retried batch inserts nothing twice.
 */
export function fanOutDoc(recipientId: string, n: FanOutNotification): NotificationDoc {
  const id = createHash("sha256").update(`${recipientId}|${n.type}|${n.target.id}`).digest("base64url").slice(0, 32);
  return {
    _id: id,
    recipientId,
    type: n.type,
    groupKey: `${n.type}:${n.target.kind}:${n.target.id}`,
    target: n.target,
    actorIds: [n.actorId],
    latestActorIds: [n.actorId],
    count: 1,
    data: n.data,
    link: n.link,
    read: false,
    sourceIds: [n.target.id],
    sortKey: sortKeyOf(n.at, id),
    createdAt: n.at,
    updatedAt: n.at,
    expiresAt: n.expiresAt,
  };
}
