import { callRefSchema, inviteSchema, signalSchema } from "../../shared/calls/call.schema.js";
import { FINAL_STATUSES, type CallView } from "../../shared/calls/call.types.js";
import { LocalWindow } from "../../shared/rate-limit/local-window.js";
import type { CallServices } from "../../shared/calls/calls.module.js";
import type { CallLiveness } from "../call-liveness.js";
import type { GatewayServer } from "../server.js";
import type { GatewaySocket, SocketEvents } from "./socket-event.js";

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
export function defineCallEvents(events: SocketEvents, deps: CallHandlerDeps): { attach(socket: GatewaySocket): void } {
  const { calls, signals } = deps.calls;
  const { io, liveness } = deps;
  const device = (socket: GatewaySocket) => ({ userId: socket.data.userId, deviceId: socket.data.deviceId });
  const follow = (socket: GatewaySocket, call: CallView): CallView => {
    const me = call.participants.find((p) => p.userId === socket.data.userId);
    if (!FINAL_STATUSES.has(call.status) && me?.state === "accepted" && me.deviceId === socket.data.deviceId) {
      liveness.track(socket.id, { callId: call.id, ...device(socket) });
    } else {
      liveness.untrack(socket.id, call.id);
    }
    return call;
  };
  // Made on a socket's first signal: idle sockets hold none.
  const budgets = new WeakMap<GatewaySocket, Map<string, LocalWindow>>();
  const budget = (socket: GatewaySocket, callId: string) => {
    let windows = budgets.get(socket);
    if (!windows) budgets.set(socket, (windows = new Map()));
    let window = windows.get(callId);
    if (!window) {
      if (windows.size >= SIGNAL_WINDOWS_PER_SOCKET) windows.delete(windows.keys().next().value!);
      windows.set(callId, (window = new LocalWindow({ limit: deps.signalLimit, windowSeconds: 10 })));
    }
    window.consume();
  };

  events.on("call:invite", inviteSchema, async (input, socket) => {
    const result = await calls.invite(device(socket), input);
    follow(socket, result.call);
    return result;
  });
  events.on("call:accept", callRefSchema, async (input, socket) => follow(socket, await calls.accept(device(socket), input)));
  events.on("call:decline", callRefSchema, (input, socket) => calls.decline(device(socket), input));
  events.on("call:hangup", callRefSchema, async (input, socket) => follow(socket, await calls.hangup(device(socket), input)));
  events.on("call:resume", callRefSchema, async (input, socket) => follow(socket, await calls.resume(device(socket), input)));
  events.on("call:signal", signalSchema, (input, socket) => {
    budget(socket, input.callId);
    return signals.relay(device(socket), input, (room, event) => io.to(room).emit("call:signal", event));
  });

  // Every transition reaches the participants' devices as call:state: the device
  // learns it became (or stopped being) a party here even when no ack told it
  // (glare made it a party of the other caller's call). Socket.IO calls these
  // with the socket as `this`: one function for every socket.
  const outgoing = function (this: GatewaySocket, event: string, payload: unknown): void {
    if (event === "call:state") follow(this, payload as CallView);
  };
  const disconnected = function (this: GatewaySocket): void {
    liveness.untrack(this.id);
  };
  return {
    attach(socket) {
      socket.onAnyOutgoing(outgoing);
      socket.on("disconnect", disconnected);
    },
  };
}
