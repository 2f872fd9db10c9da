import type { z } from "zod";
import type { Socket } from "socket.io";
import type { Logger } from "../../shared/logging/logger.js";
import { AppError, toErrorBody, type ErrorBody } from "../../shared/errors/app-error.js";
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

type Ack = (response: unknown) => void;

interface Registration {
  schema: z.ZodType;
  handler: (input: unknown, socket: GatewaySocket) => Promise<unknown>;
}

/**
 * The gateway's client events, defined once per server and shared by every
 * socket: a socket gets one listener (the same function for all of them), so
 * an idle connection costs no closures, no listener table and no per-event
 * state. Per event: the socket's budget is checked, the payload is parsed by
 * the event's schema, the handler runs as the socket's user, and the
 * acknowledgement always receives a result or a typed error; a client that
 * sends no ack function gets nothing back, and the event is still not run
 * unvalidated. Every other packet still gets an answer and counts against the
 * budget:
 * - a named event we do not handle (including names Socket.IO itself listens
 *   to, such as "error") gets UNKNOWN_EVENT in its acknowledgement;
 * - a packet without a string name (`42`, `421`, `42[5]` on the wire) is a
 *   protocol error: VALIDATION_FAILED when it carries an ack id, otherwise the
 *   socket is disconnected, since nothing could answer it.
 */
export class SocketEvents {
  private readonly table = new Map<string, Registration>();
  /** Socket.IO calls "any" listeners with the socket as `this`. */
  private readonly listener: (this: GatewaySocket, event: unknown, ...args: unknown[]) => void;

  constructor(private readonly options: EventOptions) {
    const dispatch = (socket: GatewaySocket, event: unknown, args: unknown[]) =>
      this.dispatch(socket, event, args).catch((error: unknown) => options.logger.error({ err: error, socketId: socket.id }, "socket event dispatch failed"));
    this.listener = function (this: GatewaySocket, event: unknown, ...args: unknown[]): void {
      void dispatch(this, event, args);
    };
  }

  /** Defines one client event for every socket. */
  on<E extends keyof ClientToServerEvents, S extends z.ZodType>(event: E, schema: S, handler: (input: z.infer<S>, socket: GatewaySocket) => Promise<AckData<E>>): void {
    if (this.table.has(event)) throw new Error(`Socket event "${event}" defined twice`);
    this.table.set(event, { schema, handler: handler as Registration["handler"] });
  }

  /** Serves a new socket's events. */
  attach(socket: GatewaySocket): void {
    socket.onAny(this.listener);
  }

  private async dispatch(socket: GatewaySocket, event: unknown, args: unknown[]): Promise<void> {
    const registration = typeof event === "string" ? this.table.get(event) : undefined;
    if (registration) return this.run(socket, event as string, registration, args);
    const { guard } = this.options;
    // Socket.IO appends the ack function; with no name, it arrives as the "event" itself.
    const last = args.length > 0 ? args[args.length - 1] : event;
    const ack = typeof last === "function" ? (last as Ack) : undefined;
    const named = typeof event === "string";
    let error: ErrorBody;
    try {
      await guard?.(socket, named ? event : "(unnamed)");
      error = named
        ? new AppError("UNKNOWN_EVENT", "No such event", { event: event.slice(0, 64) }).toBody()
        : new AppError("VALIDATION_FAILED", "An event needs a name").toBody();
    } catch (refused) {
      error = toErrorBody(refused);
    }
    metrics.socketEvents.inc({ event: named ? "unknown" : "unnamed", outcome: error.code });
    if (ack) ack({ ok: false, error });
    else if (!named) socket.disconnect(true);
  }

  private async run(socket: GatewaySocket, event: string, { schema, handler }: Registration, args: unknown[]): Promise<void> {
    const ack = typeof args[args.length - 1] === "function" ? (args.pop() as Ack) : undefined;
    try {
      if (this.options.guard) await this.options.guard(socket, event);
      const input = parseInput(schema, args[0], `${event} payload`);
      const data = await handler(input, socket);
      metrics.socketEvents.inc({ event, outcome: "ok" });
      ack?.({ ok: true, data });
    } catch (error) {
      const body = toErrorBody(error);
      metrics.socketEvents.inc({ event, outcome: body.code });
      if (!(error instanceof AppError) || error.status >= 500) {
        this.options.logger.error({ err: error, event, socketId: socket.id }, "socket event failed");
      }
      ack?.({ ok: false, error: body });
    }
  }
}
