import type { z } from "zod";
import type { Socket } from "socket.io";
import type { Logger } from "../../shared/logging/logger.js";
import { AppError, toErrorBody } from "../../shared/errors/app-error.js";
import { metrics } from "../../shared/metrics/metrics.js";
import type { AckResponse, ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from "../../shared/runtime/socket-events.js";
import { parseInput } from "../../shared/validation/parse.js";

export type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** Result type an event's acknowledgement carries. */
type AckData<E extends keyof ClientToServerEvents> =
  Parameters<ClientToServerEvents[E]> extends [unknown, (response: AckResponse<infer T>) => void] ? T : never;

/** Checked before every event; throws RATE_LIMITED when the socket is over its budget. */
export type EventGuard = (socket: GatewaySocket, event: string) => Promise<void>;

/** What every event registration shares: the logger and the per-socket budget. */
export interface EventOptions {
  logger: Logger;
  guard?: EventGuard;
}

const registeredEvents = new WeakMap<GatewaySocket, Set<string>>();

/** Whether `onEvent` registered a handler for `event` on this socket (Socket.IO's own listeners, such as "error", do not count). */
export function isRegisteredEvent(socket: GatewaySocket, event: string): boolean {
  return registeredEvents.get(socket)?.has(event) ?? false;
}

/**
 * Registers one client event: the payload is parsed by its schema, the
 * handler gets the acting user, and the acknowledgement always receives a
 * result or a typed error. A client that sends no ack function gets nothing
 * back, and the event is still not run unvalidated.
 */
export function onEvent<E extends keyof ClientToServerEvents, S extends z.ZodType>(
  socket: GatewaySocket,
  event: E,
  schema: S,
  handler: (input: z.infer<S>, socket: GatewaySocket) => Promise<AckData<E>>,
  options: EventOptions,
): void {
  const listener = async (...args: unknown[]) => {
    const ack = typeof args[args.length - 1] === "function" ? (args.pop() as (r: unknown) => void) : undefined;
    try {
      if (options.guard) await options.guard(socket, event);
      const input = parseInput(schema, args[0], `${event} payload`);
      const data = await handler(input, socket);
      metrics.socketEvents.inc({ event, outcome: "ok" });
      ack?.({ ok: true, data });
    } catch (error) {
      const body = toErrorBody(error);
      metrics.socketEvents.inc({ event, outcome: body.code });
      if (!(error instanceof AppError) || error.status >= 500) {
        options.logger.error({ err: error, event, socketId: socket.id }, "socket event failed");
      }
      ack?.({ ok: false, error: body });
    }
  };
  let names = registeredEvents.get(socket);
  if (!names) registeredEvents.set(socket, (names = new Set()));
  names.add(event);
  (socket as unknown as { on(event: string, listener: (...args: unknown[]) => void): void }).on(event, listener);
}
