import { callRefSchema, inviteSchema, signalSchema } from "../../shared/calls/call.schema.js";
import { FINAL_STATUSES, type CallView } from "../../shared/calls/call.types.js";
import { LocalWindow } from "../../shared/rate-limit/local-window.js";
import type { CallServices } from "../../shared/calls/calls.module.js";
import type { CallLiveness } from "../call-liveness.js";
import type { GatewayServer } from "../server.js";
import { onEvent, type EventOptions, type GatewaySocket } from "./socket-event.js";

/** What the call events use: the calls services, this replica's server and party liveness, and the signal budget. */
export interface CallHandlerDeps {
  calls: Pick<CallServices, "calls" | "signals">;
  io: GatewayServer;
  liveness: CallLiveness;
  /** CALL_SIGNAL_LIMIT: signals per call per 10 s. */
  signalLimit: number;
}

/** Calls a socket keeps a signal budget for at once (older ones are forgotten). */
const SIGNAL_WINDOWS_PER_SOCKET = 4;

/**
 * Call signalling. Each event parses its payload and calls one calls-service
 * method as this socket's device (user + device id); the device is tracked
 * for liveness while it is a joined party. Signals are relayed through this
 * replica's server straight to the target device's room, under a budget per
 * call (ICE candidates come in bursts) rather than the socket's general one.
 * The device is a tracked party while its acks or the call:state pushes it
 * receives say it is joined.
 */
export function registerCallHandlers(socket: GatewaySocket, deps: CallHandlerDeps, options: EventOptions): void {
  const { calls, signals } = deps.calls;
  const { io, liveness } = deps;
  const device = () => ({ userId: socket.data.userId, deviceId: socket.data.deviceId });
  const follow = (call: CallView): CallView => {
    const me = call.participants.find((p) => p.userId === socket.data.userId);
    if (!FINAL_STATUSES.has(call.status) && me?.state === "accepted" && me.deviceId === socket.data.deviceId) {
      liveness.track(socket.id, { callId: call.id, ...device() });
    } else {
      liveness.untrack(socket.id, call.id);
    }
    return call;
  };
  const windows = new Map<string, LocalWindow>();
  const budget = (callId: string) => {
    let window = windows.get(callId);
    if (!window) {
      if (windows.size >= SIGNAL_WINDOWS_PER_SOCKET) windows.delete(windows.keys().next().value!);
      windows.set(callId, (window = new LocalWindow({ limit: deps.signalLimit, windowSeconds: 10 })));
    }
    window.consume();
  };

  onEvent(socket, "call:invite", inviteSchema, async (input) => {
    const result = await calls.invite(device(), input);
    follow(result.call);
    return result;
  }, options);
  onEvent(socket, "call:accept", callRefSchema, async (input) => follow(await calls.accept(device(), input)), options);
  onEvent(socket, "call:decline", callRefSchema, (input) => calls.decline(device(), input), options);
  onEvent(socket, "call:hangup", callRefSchema, async (input) => follow(await calls.hangup(device(), input)), options);
  onEvent(socket, "call:resume", callRefSchema, async (input) => follow(await calls.resume(device(), input)), options);
  onEvent(socket, "call:signal", signalSchema, (input) => {
    budget(input.callId);
    return signals.relay(device(), input, (room, event) => io.to(room).emit("call:signal", event));
  }, options);
  // Every transition reaches the participants' devices as call:state: the device
  // learns it became (or stopped being) a party here even when no ack told it
  // (glare made it a party of the other caller's call).
  socket.onAnyOutgoing((event: string, payload: unknown) => {
    if (event === "call:state") follow(payload as CallView);
  });
  socket.on("disconnect", () => liveness.untrack(socket.id));
}
