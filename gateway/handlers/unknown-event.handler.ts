import { AppError, toErrorBody, type ErrorBody } from "../../shared/errors/app-error.js";
import { metrics } from "../../shared/metrics/metrics.js";
import { isRegisteredEvent, type EventOptions, type GatewaySocket } from "./socket-event.js";

type Ack = (response: unknown) => void;

/**
 * Every packet no handler of ours takes still gets an answer, and counts
 * against the socket's event budget:
 * - a named event we do not handle (including names Socket.IO itself listens
 *   to, such as "error") gets UNKNOWN_EVENT in its acknowledgement;
 * - a packet without a string name (`42`, `421`, `42[5]` on the wire) is a
 *   protocol error: VALIDATION_FAILED when it carries an ack id, otherwise the
 *   socket is disconnected, since nothing could answer it.
 */
export function registerUnknownEventHandler(socket: GatewaySocket, options: EventOptions): void {
  const { logger, guard } = options;
  const answer = async (event: unknown, args: unknown[]): Promise<void> => {
    if (typeof event === "string" && isRegisteredEvent(socket, event)) return;
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
  };
  socket.onAny((event: unknown, ...args: unknown[]) => {
    answer(event, args).catch((error: unknown) => logger.error({ err: error, socketId: socket.id }, "unknown-event handler failed"));
  });
}
