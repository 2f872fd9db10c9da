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
 * conversation. One Redis read per signal (the call's joined-parties hash,
 * written by the same scripts as the state) checks both ends, so a device that
 * left stops receiving at once.
 */
export class CallSignalService {
  constructor(private readonly state: CallStateRepository) {}

  async relay(sender: Device, input: SignalInput, emit: SignalEmitter): Promise<{ delivered: number }> {
    // The joined parties are a small hash the transition scripts keep beside the state.
    const joined = await this.state.joined(input.callId);
    if (joined[sender.userId] !== sender.deviceId) throw await this.refusal(sender, input.callId);
    const event: CallSignalEvent = { callId: input.callId, fromUserId: sender.userId, fromDeviceId: sender.deviceId, kind: input.kind, payload: input.payload };
    let delivered = 0;
    for (const [userId, deviceId] of Object.entries(joined)) {
      if (userId === sender.userId) continue;
      if (input.toDeviceId !== undefined && deviceId !== input.toDeviceId) continue;
      emit(deviceRoom(userId, deviceId), event);
      delivered++;
    }
    if (delivered === 0 && input.toDeviceId !== undefined) throw new AppError("PARTY_NOT_FOUND", "No joined party of the call has this device id");
    return { delivered };
  }

  /** Why this device may not signal in this call (a non-participant learns nothing). */
  private async refusal(sender: Device, callId: string): Promise<AppError> {
    const call = await this.state.get(callId);
    if (!call || !call.parties[sender.userId]) return new AppError("CALL_NOT_FOUND", "No such call");
    if (FINAL_STATUSES.has(call.status)) return new AppError("CALL_ENDED", "The call has ended");
    return new AppError("NOT_A_PARTY", "This device is not in the call");
  }
}
