import { z } from "zod";
import { AppError } from "../../shared/errors/app-error.js";
import { sessionRoom } from "../../shared/realtime/rooms.js";
import type { AccessGuard } from "../../shared/runtime/services.js";
import type { SocketEvents } from "./socket-event.js";

const refreshSchema = z.object({ token: z.string().min(1).max(4096) }).strict();

/**
 * `auth:refresh`: a fresh access token of the same user extends the socket's
 * life to that token's expiry (see SocketExpiry). Revocation (logout,
 * password change, disable) disconnects at once, separately.
 */
export function defineSessionEvents(events: SocketEvents, accessGuard: AccessGuard): void {
  events.on("auth:refresh", refreshSchema, async ({ token }, socket) => {
    const claims = await accessGuard.authenticate(token);
    if (claims.userId !== socket.data.userId) {
      throw new AppError("FORBIDDEN", "The token belongs to another user; open a new connection for them");
    }
    if (claims.sessionId !== socket.data.sessionId) {
      await socket.leave(sessionRoom(socket.data.sessionId));
      await socket.join(sessionRoom(claims.sessionId));
    }
    socket.data = { ...socket.data, sessionId: claims.sessionId, roles: claims.roles, expiresAt: claims.expiresAt };
    return { expiresAt: new Date(claims.expiresAt).toISOString() };
  });
}
