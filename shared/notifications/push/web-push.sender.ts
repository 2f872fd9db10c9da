import webpush from "web-push";
import type { PushPayload, PushSender, PushTarget } from "./push-sender.js";

export interface VapidKeys {
  subject: string;
  publicKey: string;
  privateKey: string;
}

/** Web Push (RFC 8030/8291/8292) through the `web-push` package: encrypted payload, VAPID-signed request. */
export class WebPushSender implements PushSender {
  readonly name = "web-push";

  constructor(private readonly vapid: VapidKeys) {}

  async send(target: PushTarget, payload: PushPayload, options: { ttlSeconds: number; topic?: string }): Promise<"sent" | "gone"> {
    try {
      await webpush.sendNotification(target, JSON.stringify(payload), {
        vapidDetails: this.vapid,
        TTL: options.ttlSeconds,
        contentEncoding: "aes128gcm",
        urgency: "normal",
        ...(options.topic ? { topic: options.topic } : {}),
        timeout: 10_000,
      });
      return "sent";
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      // 404/410: the browser unsubscribed; the subscription is gone for good.
      if (status === 404 || status === 410) return "gone";
      throw error;
    }
  }
}
