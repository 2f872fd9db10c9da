import { z } from "zod";
import type { SocketEvents } from "./socket-event.js";

const pingSchema = z.union([z.undefined(), z.null(), z.object({}).strict()]);

/** Liveness round trip a client can use to measure latency. */
export function defineSystemEvents(events: SocketEvents): void {
  events.on("system:ping", pingSchema, async () => ({ serverTime: new Date().toISOString() }));
}
