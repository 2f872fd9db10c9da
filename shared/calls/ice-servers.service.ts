import { createHmac } from "node:crypto";
import type { IceServer, IceServersResult } from "./call.types.js";

export interface IceSettings {
  stunUrls: readonly string[];
  turnUrls: readonly string[];
  turnSecret: string;
  turnTtlSeconds: number;
}

/**
 * STUN/TURN servers for a user's peer connections. TURN credentials follow
 * the TURN REST API scheme coturn implements with `use-auth-secret`:
 * `username = "<expiry unix seconds>:<userId>"`,
 * `credential = base64(HMAC-SHA1(secret, username))`, valid until the expiry.
 */
export class IceServerService {
  constructor(private readonly settings: IceSettings) {}

  forUser(userId: string, now = Date.now()): IceServersResult {
    const { stunUrls, turnUrls, turnSecret, turnTtlSeconds } = this.settings;
    const expiry = Math.floor(now / 1000) + turnTtlSeconds;
    const iceServers: IceServer[] = [];
    if (stunUrls.length > 0) iceServers.push({ urls: [...stunUrls] });
    if (turnUrls.length > 0) {
      const username = `${expiry}:${userId}`;
      const credential = createHmac("sha1", turnSecret).update(username).digest("base64");
      iceServers.push({ urls: [...turnUrls], username, credential });
    }
    return { iceServers, expiresAt: new Date(expiry * 1000).toISOString(), ttlSeconds: turnTtlSeconds };
  }
}
