import { z } from "zod";
import { AppError } from "../../shared/errors/app-error.js";
import { sessionRoom } from "../../shared/realtime/rooms.js";
import type { GatewayContext } from "../server.js";
import { onEvent, type GatewaySocket } from "./socket-event.js";

/** How long before expiry the client is reminded to refresh. */
const WARN_BEFORE_MS = 60_000;
/** setTimeout's longest delay; longer waits are re-armed when they fire. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const refreshSchema = z.object({ token: z.string().min(1).max(4096) }).strict();

/**
 * A socket lives no longer than the access token it presented: the client is
 * warned a minute before expiry, may present a fresh token of the same user
 * with `auth:refresh`, and is disconnected at expiry otherwise. Revocation
 * (logout, password change, disable) disconnects at once, separately.
 */
export function registerSessionHandlers(socket: GatewaySocket, ctx: GatewayContext): void {
  let warnTimer: NodeJS.Timeout | undefined;
  let expireTimer: NodeJS.Timeout | undefined;

  const arm = (): void => {
    clearTimeout(warnTimer);
    clearTimeout(expireTimer);
    const expiresAt = socket.data.expiresAt;
    const remaining = expiresAt - Date.now();
    if (remaining > WARN_BEFORE_MS) {
      warnTimer = setTimeout(
        () => socket.emit("auth:expiring", { expiresAt: new Date(expiresAt).toISOString(), expiresInMs: Math.max(0, expiresAt - Date.now()) }),
        Math.min(remaining - WARN_BEFORE_MS, MAX_TIMER_MS),
      );
    } else {
      socket.emit("auth:expiring", { expiresAt: new Date(expiresAt).toISOString(), expiresInMs: Math.max(0, remaining) });
    }
    expireTimer = setTimeout(() => {
      if (Date.now() < socket.data.expiresAt) return arm();
      socket.emit("auth:expired", { expiredAt: new Date(socket.data.expiresAt).toISOString() });
      socket.disconnect(true);
    }, Math.min(Math.max(0, remaining), MAX_TIMER_MS));
  };

  onEvent(
    socket,
    "auth:refresh",
    refreshSchema,
    async ({ token }) => {
      const claims = await ctx.services.accessGuard.authenticate(token);
      if (claims.userId !== socket.data.userId) {
        throw new AppError("FORBIDDEN", "The token belongs to another user; open a new connection for them");
      }
      if (claims.sessionId !== socket.data.sessionId) {
        await socket.leave(sessionRoom(socket.data.sessionId));
        await socket.join(sessionRoom(claims.sessionId));
      }
      socket.data = { ...socket.data, sessionId: claims.sessionId, roles: claims.roles, expiresAt: claims.expiresAt };
      arm();
      return { expiresAt: new Date(claims.expiresAt).toISOString() };
    },
    ctx.eventOptions,
  );

  socket.once("disconnect", () => {
    clearTimeout(warnTimer);
    clearTimeout(expireTimer);
  });
  arm();
}
