import type { Socket } from "socket.io-client";
import { connectSocket, type ClientSocket } from "../helpers/sockets.js";
import { waitFor } from "../helpers/ports.js";

/** Every payload of `event` a socket receives from now on, in order. */
export function collect<T>(socket: ClientSocket, event: string): T[] {
  const received: T[] = [];
  (socket as unknown as Socket).on(event, (payload: T) => received.push(payload));
  return received;
}

/** Waits until `list` holds at least `count` items. */
export async function received<T>(list: readonly T[], count: number, what: string, timeoutMs = 10_000): Promise<readonly T[]> {
  await waitFor(() => list.length >= count, timeoutMs, what);
  return list;
}

/** The code a refused handshake carried (`connect_error` data). */
export async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return (error as Error & { data?: { code?: string } }).data?.code;
  }
  throw new Error("the handshake was accepted");
}

/** Resolves with the reason once the socket disconnects. */
export function disconnected(socket: ClientSocket): Promise<string> {
  if (!socket.connected) return Promise.resolve("already disconnected");
  return new Promise((resolve) => socket.once("disconnect", (reason) => resolve(reason)));
}

/** Tracks sockets so every test can close what it opened. */
export class SocketPool {
  private readonly open: ClientSocket[] = [];

  async connect(url: string, token: string, deviceId?: string): Promise<ClientSocket> {
    const socket = await connectSocket(url, token, deviceId === undefined ? {} : { deviceId });
    this.open.push(socket);
    return socket;
  }

  closeAll(): void {
    for (const socket of this.open.splice(0)) socket.close();
  }
}
