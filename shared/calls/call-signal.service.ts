import { AppError } from "../errors/app-error.js";
import { deviceRoom } from "../realtime/rooms.js";
import type { CallStateRepository } from "./call-state.repository.js";
import type { CallSignalEvent } from "./call.events.js";
import type { SignalInput } from "./call.schema.js";
import { FINAL_STATUSES } from "./call.types.js";
import type { Device } from "./call.service.js";

/** Delivers one signal to one device room (the gateway emits through its own server). */
export type SignalEmitter = (room: string, event: CallSignalEvent) => void;

/**
 * The WebRTC relay: offers, answers, candidates, renegotiations and hangups go
 * from a joined party to joined parties of the same call only, addressed to a
 * device (or, without `toDeviceId`, to every other joined party), never to the
 * conversation. One Redis read per signal checks both ends against the call's
 * current state, so a device that left stops receiving at once.
 */
export class CallSignalService {
  constructor(private readonly state: CallStateRepository) {}

  async relay(sender: Device, input: SignalInput, emit: SignalEmitter): Promise<{ delivered: number }> {
    const call = await this.state.get(input.callId);
    const me = call?.parties[sender.userId];
    if (!call || !me) throw new AppError("CALL_NOT_FOUND", "No such call");
    if (FINAL_STATUSES.has(call.status)) throw new AppError("CALL_ENDED", "The call has ended");
    if (me.state !== "accepted" || me.deviceId !== sender.deviceId) throw new AppError("NOT_A_PARTY", "This device is not in the call");
    const event: CallSignalEvent = { callId: call.id, fromUserId: sender.userId, fromDeviceId: sender.deviceId, kind: input.kind, payload: input.payload };
    let delivered = 0;
    for (const [userId, party] of Object.entries(call.parties)) {
      if (userId === sender.userId || party.state !== "accepted" || !party.deviceId) continue;
      if (input.toDeviceId !== undefined && party.deviceId !== input.toDeviceId) continue;
      emit(deviceRoom(userId, party.deviceId), event);
      delivered++;
    }
    if (delivered === 0 && input.toDeviceId !== undefined) throw new AppError("PARTY_NOT_FOUND", "No joined party of the call has this device id");
    return { delivered };
  }
}
