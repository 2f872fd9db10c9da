import { randomUUID } from "node:crypto";
import type { AccessControl } from "../access/access-control.js";
import { AppError } from "../errors/app-error.js";
import type { Logger } from "../logging/logger.js";
import type { JobQueue } from "../queues/job-queue.js";
import type { CallEffects } from "./call-effects.js";
import type { CallStateRepository, Transition } from "./call-state.repository.js";
import { RING_TIMEOUT_JOB, ringTimeoutJobId } from "./call.jobs.js";
import type { CallRefInput, InviteInput } from "./call.schema.js";
import { FINAL_STATUSES, toCallView, type CallState, type CallView, type InviteResult, type PartyState } from "./call.types.js";

/** The acting device: a user and the device id their socket identified as. */
export interface Device {
  userId: string;
  deviceId: string;
}

/** Which conversations a user may call in, and with whom (the chat domain answers). */
export interface CallDirectory {
  memberList(actorId: string, conversationId: string): Promise<{ type: "direct" | "group"; memberIds: readonly string[] }>;
}

export interface CallSettings {
  ringTimeoutMs: number;
  maxParticipants: number;
  glareWindowMs: number;
  partyGraceMs: number;
  maxDurationMs: number;
}

const notFound = () => new AppError("CALL_NOT_FOUND", "No such call");

/**
 * The call state machine's entry points. Every change is one Redis script
 * (CallStateRepository); this service orders the steps around them that live
 * in other hash slots (the conversation's call pointer for glare, per-user
 * "in a call" keys for busy) and hands each transition to CallEffects.
 */
export class CallService {
  constructor(
    private readonly state: CallStateRepository,
    private readonly effects: CallEffects,
    private readonly directory: CallDirectory,
    private readonly access: Pick<AccessControl, "canMessage" | "blockedAmong">,
    private readonly jobs: JobQueue,
    private readonly settings: CallSettings,
    private readonly logger: Logger,
  ) {}

  async invite(device: Device, input: InviteInput): Promise<InviteResult> {
    const { userId } = device;
    const list = await this.directory.memberList(userId, input.conversationId);
    let invitees = list.memberIds.filter((id) => id !== userId);
    if (list.type === "direct") {
      const peer = invitees[0];
      if (!peer || !(await this.access.canMessage(userId, peer))) throw new AppError("MESSAGING_NOT_ALLOWED", "You can't call this user");
    } else {
      if (list.memberIds.length > this.settings.maxParticipants) {
        throw new AppError("CALL_TOO_LARGE", `Calls are limited to ${this.settings.maxParticipants} participants`);
      }
      const blocked = await this.access.blockedAmong(userId, invitees);
      invitees = invitees.filter((id) => !blocked.has(id));
    }
    if (invitees.length === 0) throw new AppError("BAD_REQUEST", "Nobody to call in this conversation");

    const holders = await this.liveHolders([userId, ...invitees], input.conversationId);
    if (holders.has(userId)) throw new AppError("ALREADY_IN_CALL", "You are already in a call");

    const now = Date.now();
    const call: CallState = {
      id: input.callId ?? randomUUID(),
      conversationId: input.conversationId,
      conversationType: list.type,
      mediaType: input.mediaType,
      initiatorId: userId,
      initiatorDeviceId: device.deviceId,
      status: "ringing",
      version: 1,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + this.settings.ringTimeoutMs,
      parties: {
        [userId]: { state: "accepted", deviceId: device.deviceId, seenAt: now, at: now },
        ...Object.fromEntries(invitees.map((id): [string, PartyState] => [id, { state: "ringing", at: now }])),
      },
      events: [{ type: "invite", userId, deviceId: device.deviceId, at: now }],
    };
    // The caller's "in a call" key is set before the call can be found through
    // the conversation, so a glare resolver that moves it never races this write.
    const [created] = await Promise.all([this.state.create(call, this.liveTtl()), this.state.setBusy(userId, call.id, this.liveTtl())]);
    if (!created) {
      await this.state.releaseBusy([userId], call.id);
      throw new AppError("CONFLICT", "This call id is taken");
    }

    const holder = await this.state.claimConversation(call.conversationId, call.id, this.liveTtl());
    if (holder !== call.id) return this.resolveGlare(device, call, holder);
    return this.startRinging(call, [...holders.keys()]);
  }

  /**
   * The first device to accept wins (one script); the user's "in a call" key is
   * claimed after it, and a user found in another call leaves this one again.
   */
  async accept(device: Device, input: CallRefInput): Promise<CallView> {
    const result = await this.state.accept(input.callId, device.userId, device.deviceId, "answer", this.settings.maxParticipants, input.version);
    const next = await this.applied(result, device);
    if (result.code === "OK") await this.holdBusy(device, next);
    return toCallView(next);
  }

  async decline(device: Device, input: CallRefInput): Promise<CallView> {
    return toCallView(await this.applied(await this.state.decline(input.callId, device.userId, input.version), device));
  }

  async hangup(device: Device, input: CallRefInput): Promise<CallView> {
    const result = await this.state.hangup(input.callId, device.userId, device.deviceId, input.version);
    const next = await this.applied(result, device);
    if (!FINAL_STATUSES.has(next.status)) await this.state.releaseBusy([device.userId], next.id);
    return toCallView(next);
  }

  /** A device back after a reconnect (maybe to another replica): it must still be the user's joined party. */
  async resume(device: Device, input: CallRefInput): Promise<CallView> {
    const current = await this.state.get(input.callId);
    const party = current?.parties[device.userId];
    if (!current || !party) throw notFound();
    if (FINAL_STATUSES.has(current.status)) throw new AppError("CALL_ENDED", "The call has ended", { call: toCallView(current) });
    if (party.state !== "accepted" || party.deviceId !== device.deviceId) throw new AppError("NOT_A_PARTY", "This device is not in the call");
    await this.state.touch([{ callId: current.id, userId: device.userId, deviceId: device.deviceId }]);
    return toCallView(current);
  }

  /** The ring-timeout job: invitees still ringing missed the call. */
  async timeout(callId: string): Promise<{ skipped: string } | { status: string }> {
    const result = await this.state.timeout(callId);
    if (result.code !== "OK" || !result.state) return { skipped: result.code };
    await this.afterTransition(result.previous, result.state, {});
    return { status: result.state.status };
  }

  /** Liveness sweep: calls due for a look, each checked by one script. Answers how many changed. */
  async sweep(limit = 200): Promise<number> {
    const now = Date.now();
    const due = await this.state.dueForReap(now, limit);
    let changed = 0;
    for (const callId of due) {
      const result = await this.state.reap(callId, this.settings.partyGraceMs, this.settings.maxDurationMs, 5_000);
      if (result.code === "OK" && result.state) {
        changed++;
        await this.afterTransition(result.previous, result.state, {});
      }
      const live = result.state && !FINAL_STATUSES.has(result.state.status);
      if (live) await this.state.scheduleReap(callId, now + this.reapPeriod());
      else await this.state.unscheduleReap(callId);
    }
    return changed;
  }

  /** Joined devices on this replica vouch for themselves (the sweep drops parties nobody vouched for). */
  touch(devices: ReadonlyArray<{ callId: string; userId: string; deviceId: string }>): Promise<boolean[]> {
    return this.state.touch(devices);
  }

  /** The live state of a call the user takes part in. */
  async current(userId: string, callId: string): Promise<CallView | null> {
    const call = await this.state.get(callId);
    return call && call.parties[userId] ? toCallView(call) : null;
  }

  private async startRinging(call: CallState, busyInvitees: readonly string[]): Promise<InviteResult> {
    let current = call;
    if (busyInvitees.length > 0) {
      const marked = await this.state.markBusy(call.id, busyInvitees);
      if (marked.code === "OK" && marked.state) {
        await this.afterTransition(current, marked.state, {});
        current = marked.state;
      }
    }
    // Glare may have moved the call on meanwhile: ring only those still ringing, at the latest version.
    const latest = (await this.state.get(call.id)) ?? current;
    const stillRinging = !FINAL_STATUSES.has(latest.status) && Object.values(latest.parties).some((p) => p.state === "ringing");
    if (stillRinging) this.effects.ring(latest);
    this.effects.announce(null, latest, { userId: call.initiatorId, deviceId: call.initiatorDeviceId });
    if (stillRinging) {
      await this.jobs.add(RING_TIMEOUT_JOB, { callId: call.id }, { delay: Math.max(0, latest.expiresAt - Date.now()), jobId: ringTimeoutJobId({ callId: call.id }) });
    }
    if (!FINAL_STATUSES.has(latest.status)) await this.state.scheduleReap(call.id, Date.now() + this.reapPeriod());
    // The record of a new call carries no domain event: the caller need not wait for it.
    this.effects.settleLater(null, call);
    if (latest.replacedBy) return { call: toCallView(latest), glare: { survivorId: latest.replacedBy, replacedId: latest.id } };
    return { call: toCallView(latest) };
  }

  /**
   * The conversation already has a call under way (`holderId`). In a direct
   * chat where both invited each other within the glare window, the lesser
   * call id survives (Matrix's rule) and the other caller's device joins it;
   * otherwise this caller joins the call under way. Either way one call remains.
   */
  private async resolveGlare(device: Device, mine: CallState, holderId: string | null): Promise<InviteResult> {
    for (let attempt = 0; attempt < 4; attempt++) {
      const other = holderId ? await this.state.get(holderId) : null;
      if (!other || FINAL_STATUSES.has(other.status)) {
        holderId = await this.state.swapConversation(mine.conversationId, holderId ?? "", mine.id, this.liveTtl());
        if (holderId === mine.id || holderId === null) {
          if (holderId === null) holderId = await this.state.claimConversation(mine.conversationId, mine.id, this.liveTtl());
          if (holderId === mine.id) {
            const holders = await this.liveHolders(Object.keys(mine.parties), mine.conversationId, mine.id);
            return this.startRinging(mine, [...holders.keys()].filter((id) => id !== device.userId));
          }
        }
        continue;
      }
      const mineParty = other.parties[device.userId];
      if (mineParty?.state === "accepted") {
        await this.discard(mine, device, other.id);
        if (mineParty.deviceId === device.deviceId) return { call: toCallView(other) };
        throw new AppError("ALREADY_IN_CALL", "You are already in this call on another device");
      }
      const glare =
        other.status === "ringing" &&
        other.initiatorId !== device.userId &&
        mineParty?.state === "ringing" &&
        Date.now() - other.createdAt <= this.settings.glareWindowMs;
      if (glare && other.conversationType === "direct" && mine.id < other.id) {
        const replaced = await this.state.replace(other.id, mine.id);
        if (replaced.code === "OK" && replaced.state) return this.survive(device, mine, other, replaced);
        holderId = other.id;
        continue;
      }
      const joined = await this.state.accept(other.id, device.userId, device.deviceId, "join", this.settings.maxParticipants);
      if (joined.code === "OK" && joined.state) {
        await this.discard(mine, device, other.id);
        await this.afterTransition(joined.previous, joined.state, device);
        const glareInfo = glare ? { survivorId: other.id, replacedId: mine.id } : undefined;
        if (glareInfo) this.effects.announceGlare(joined.state, glareInfo);
        return glareInfo ? { call: toCallView(joined.state), glare: glareInfo } : { call: toCallView(joined.state) };
      }
      if (joined.code === "CALL_ENDED" || joined.code === "CALL_NOT_FOUND") continue;
      await this.discard(mine, device, other.id);
      throw this.refusal(joined, device.userId);
    }
    await this.discard(mine, device, holderId ?? "");
    throw new AppError("CONFLICT", "The call could not be set up; try again");
  }

  /** Glare, this call's id is the lesser: the other caller's device joins this call, which survives. */
  private async survive(device: Device, mine: CallState, other: CallState, replaced: Transition): Promise<InviteResult> {
    await this.state.swapConversation(mine.conversationId, other.id, mine.id, this.liveTtl());
    await this.state.swapBusy(other.initiatorId, other.id, mine.id, this.liveTtl());
    await this.afterTransition(replaced.previous, replaced.state!, {});
    const joined = await this.state.accept(mine.id, other.initiatorId, other.initiatorDeviceId, "join", this.settings.maxParticipants);
    const next = joined.state ?? mine;
    const glare = { survivorId: mine.id, replacedId: other.id };
    this.effects.announce(null, next, device);
    this.effects.announceGlare(next, glare);
    await this.state.scheduleReap(mine.id, Date.now() + this.reapPeriod());
    this.effects.settleLater(null, next);
    return { call: toCallView(next), glare };
  }

  /** Forgets a call nobody was told about (glare loser). */
  private async discard(mine: CallState, device: Device, survivorId: string): Promise<void> {
    await this.state.discard(mine.id);
    if (survivorId) await this.state.swapBusy(device.userId, mine.id, survivorId, this.liveTtl());
    else await this.state.releaseBusy([device.userId], mine.id);
  }

  /** Runs a transition's effects, or turns its refusal into an error. */
  private async applied(result: Transition, cause: Device): Promise<CallState> {
    if (result.code === "ALREADY" && result.state) return result.state;
    if (result.code !== "OK" || !result.state) throw this.refusal(result, cause.userId);
    await this.afterTransition(result.previous, result.state, cause);
    return result.state;
  }

  private async afterTransition(prev: CallState | null, next: CallState, cause: { userId?: string; deviceId?: string }): Promise<void> {
    this.effects.announce(prev, next, cause);
    await this.effects.settle(prev, next);
  }

  /**
   * After an accept: claims the user's "in a call" key. If another live call
   * holds it, the accept is undone (compensation: the device hangs up again).
   */
  private async holdBusy(device: Device, call: CallState): Promise<void> {
    const holder = await this.state.claimBusy(device.userId, call.id, this.liveTtl());
    if (holder === call.id) return;
    const other = await this.state.get(holder);
    if (!other || FINAL_STATUSES.has(other.status) || other.parties[device.userId]?.state !== "accepted") {
      await this.state.setBusy(device.userId, call.id, this.liveTtl());
      return;
    }
    const undone = await this.state.hangup(call.id, device.userId, device.deviceId);
    if (undone.code === "OK" && undone.state) await this.afterTransition(call, undone.state, device);
    throw new AppError("ALREADY_IN_CALL", "You are already in another call");
  }

  /** Of `userIds`, those whose "in a call" key names a live call they joined, other than `except` and not in `conversationId`. */
  private async liveHolders(userIds: readonly string[], conversationId: string, except?: string): Promise<Map<string, string>> {
    const keys = await this.state.busyCalls(userIds);
    const held = [...keys.entries()].filter(([, callId]) => callId !== except);
    const calls = await this.state.getMany(held.map(([, callId]) => callId));
    const live = new Map<string, string>();
    held.forEach(([userId, callId], i) => {
      const call = calls[i];
      if (!call || FINAL_STATUSES.has(call.status) || call.parties[userId]?.state !== "accepted") {
        // A key a lost step left behind: repair it.
        void this.state.releaseBusy([userId], callId).catch(() => undefined);
        return;
      }
      if (call.conversationId !== conversationId) live.set(userId, callId);
    });
    return live;
  }

  private refusal(result: Transition, userId: string): AppError {
    // A non-participant learns nothing about the call, not even that it ended.
    if (result.state && !result.state.parties[userId]) return notFound();
    const call = result.state ? toCallView(result.state) : undefined;
    const details = call ? { call } : undefined;
    switch (result.code) {
      case "CALL_NOT_FOUND":
        return notFound();
      case "CALL_ENDED":
        return new AppError("CALL_ENDED", "The call has ended", details);
      case "ANSWERED_ELSEWHERE":
        return new AppError("ANSWERED_ELSEWHERE", "The call was answered on another device", details);
      case "CALL_NOT_RINGING":
        return new AppError("CALL_NOT_RINGING", "The call is not ringing for you", details);
      case "DEVICE_CONFLICT":
        return new AppError("DEVICE_CONFLICT", "Another party of the call uses this device id", details);
      case "VERSION_CONFLICT":
        return new AppError("VERSION_CONFLICT", "The call changed; here is its current state", details);
      case "CALL_FULL":
        return new AppError("CALL_FULL", "This call is full", details);
      case "NOT_A_PARTY":
        return new AppError("NOT_A_PARTY", "This device is not in the call", details);
      default:
        this.logger.warn({ code: result.code }, "unexpected call transition outcome");
        return new AppError("CONFLICT", "The call could not be changed", details);
    }
  }

  /** How long a live call's keys last (refreshed by nothing: the call ends before). */
  private liveTtl(): number {
    return this.settings.maxDurationMs + 3_600_000;
  }

  private reapPeriod(): number {
    return Math.max(500, Math.floor(this.settings.partyGraceMs / 2));
  }
}
