import type { NotificationView } from "./notification.types.js";

/** Notification pushes to every connected device of the recipient. */
export interface NotificationServerToClientEvents {
  /** A new notification, or a group that grew (same id, higher count). */
  "notification:new": (notification: NotificationView) => void;
  /** Unread groups, after anything changed them. */
  "notification:unread-count": (event: { unreadCount: number }) => void;
}
