import { z } from "zod";
import { onEvent, type EventOptions, type GatewaySocket } from "./socket-event.js";

const pingSchema = z.union([z.undefined(), z.null(), z.object({}).strict()]);

/** Liveness round trip a client can use to measure latency. */
export function registerSystemHandlers(socket: GatewaySocket, options: EventOptions): void {
  onEvent(socket, "system:ping", pingSchema, async () => ({ serverTime: new Date().toISOString() }), options);
}
