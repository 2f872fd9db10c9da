import type { Logger } from "../shared/logging/logger.js";
import type { GatewayServer } from "./server.js";
import type { GatewaySocket } from "./handlers/socket-event.js";

/** How long before expiry a socket is reminded to refresh its token. */
export const WARN_BEFORE_MS = 60_000;

/**
 * Ends sockets whose access token expired. One sweep a second over this
 * replica's sockets, instead of timers per socket, keeps idle sockets cheap:
 * a socket is warned (`auth:expiring`) once per token a minute before expiry,
 * and told (`auth:expired`) and disconnected at expiry. `auth:refresh`
 * replaces `socket.data.expiresAt`, which is all the sweep reads.
 */
export class SocketExpiry {
  private timer: NodeJS.Timeout | undefined;
  /** The expiry each socket was last warned about. */
  private readonly warned = new WeakMap<GatewaySocket, number>();

  constructor(
    private readonly io: GatewayServer,
    private readonly logger: Logger,
    private readonly intervalMs = 1_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.sweep(Date.now()), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Warns a socket at once when its token is already within the warning window. */
  check(socket: GatewaySocket, now = Date.now()): void {
    const { expiresAt } = socket.data;
    if (now >= expiresAt) {
      socket.emit("auth:expired", { expiredAt: new Date(expiresAt).toISOString() });
      socket.disconnect(true);
    } else if (expiresAt - now <= WARN_BEFORE_MS && this.warned.get(socket) !== expiresAt) {
      this.warned.set(socket, expiresAt);
      socket.emit("auth:expiring", { expiresAt: new Date(expiresAt).toISOString(), expiresInMs: expiresAt - now });
    }
  }

  private sweep(now: number): void {
    let ended = 0;
    for (const socket of this.io.of("/").sockets.values()) {
      const before = socket.connected;
      this.check(socket, now);
      if (before && !socket.connected) ended++;
    }
    if (ended > 0) this.logger.info({ ended }, "disconnected sockets whose access token expired");
  }
}
