/** Every socket of a user joins this room: all of their devices. */
export const userRoom = (userId: string): string => `user:${userId}`;
/** Every socket opened with one session's tokens; revoking the session empties it. */
export const sessionRoom = (sessionId: string): string => `session:${sessionId}`;
/** Every socket of one device of a user (the device id is the session id, or the one the client gave in the handshake): call signals go here. */
export const deviceRoom = (userId: string, deviceId: string): string => `device:${userId}:${deviceId}`;
