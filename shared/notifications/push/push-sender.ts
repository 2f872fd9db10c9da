/** What a device push carries (a few hundred bytes; the client fetches the rest). */
export interface PushPayload {
  notificationId: string;
  type: string;
  title: string;
  body: string;
  link: { route: string; params: Record<string, string> };
  /** Unread groups after this one. */
  unreadCount: number;
}

export interface PushTarget {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/**
 * The push-delivery port: Web Push for browsers (VAPID), a development outbox
 * otherwise; mobile providers (APNs, FCM) plug in behind the same contract.
 * `gone` means the subscription no longer exists and should be removed.
 */
export interface PushSender {
  readonly name: string;
  send(target: PushTarget, payload: PushPayload, options: { ttlSeconds: number; topic?: string }): Promise<"sent" | "gone">;
}
