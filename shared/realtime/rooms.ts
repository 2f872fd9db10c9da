/** Every socket of a user joins this room: all of their devices. */
export const userRoom = (userId: string): string => `user:${userId}`;
/** Every socket opened with one session's tokens; revoking the session empties it. */
export const sessionRoom = (sessionId: string): string => `session:${sessionId}`;
