import { z } from "zod";
import { AppError } from "../../shared/errors/app-error.js";
import { PRESENCE_WATCH_BATCH, PRESENCE_WATCH_MAX, presenceRoom } from "../../shared/presence/presence.types.js";
import type { PresenceService } from "../../shared/presence/presence.service.js";
import type { GatewaySocket, SocketEvents } from "./socket-event.js";

const userIds = z.object({ userIds: z.array(z.uuid()).min(1).max(PRESENCE_WATCH_BATCH) }).strict();

const watchedBy = (socket: GatewaySocket): number => {
  let count = 0;
  for (const room of socket.rooms) if (room.startsWith("presence:")) count++;
  return count;
};

/**
 * `presence:watch` answers the current states the caller may see and joins
 * the socket to those users' presence rooms; ids it may no longer see (privacy
 * or blocks changed) are left. `presence:unwatch` leaves them.
 */
export function definePresenceEvents(events: SocketEvents, presence: Pick<PresenceService, "watch">): void {
  events.on("presence:watch", userIds, async (input, socket) => {
    const fresh = new Set(input.userIds.filter((id) => !socket.rooms.has(presenceRoom(id))));
    if (watchedBy(socket) + fresh.size > PRESENCE_WATCH_MAX) {
      throw new AppError("BAD_REQUEST", `A connection may watch at most ${PRESENCE_WATCH_MAX} users`, { limit: PRESENCE_WATCH_MAX });
    }
    const result = await presence.watch(socket.data.userId, input.userIds);
    if (result.presences.length > 0) socket.join(result.presences.map((p) => presenceRoom(p.userId)));
    for (const id of result.hidden) socket.leave(presenceRoom(id));
    return result;
  });

  events.on("presence:unwatch", userIds, async (input, socket) => {
    for (const id of input.userIds) socket.leave(presenceRoom(id));
    return { watching: watchedBy(socket) };
  });
}
