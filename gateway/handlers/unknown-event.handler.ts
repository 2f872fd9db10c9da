import { AppError, toErrorBody, type ErrorBody } from "../../shared/errors/app-error.js";
import { metrics } from "../../shared/metrics/metrics.js";
import type { GatewayContext } from "../server.js";
import type { GatewaySocket } from "./socket-event.js";

/**
 * An event no handler listens to still gets a typed error in its
 * acknowledgement (and counts against the socket's event budget), so a client
 * never waits on an ack that cannot come.
 */
export function registerUnknownEventHandler(socket: GatewaySocket, ctx: GatewayContext): void {
  socket.onAny(async (event: string, ...args: unknown[]) => {
    if (socket.listeners(event as never).length > 0) return;
    const last = args[args.length - 1];
    const ack = typeof last === "function" ? (last as (response: unknown) => void) : undefined;
    let error: ErrorBody;
    try {
      await ctx.eventOptions.guard?.(socket, String(event));
      error = new AppError("UNKNOWN_EVENT", "No such event", { event: String(event).slice(0, 64) }).toBody();
    } catch (refused) {
      error = toErrorBody(refused);
    }
    metrics.socketEvents.inc({ event: "unknown", outcome: error.code });
    ack?.({ ok: false, error });
  });
}
