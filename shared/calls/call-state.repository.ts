import type { Redis } from "ioredis";
import { defineScripts, type ScriptSpec } from "../db/redis-scripts.js";
import type { CallState } from "./call.types.js";
import { ACCEPT, CREATE, DECLINE, DELETE_IF, HANGUP, MARK_BUSY, REAP, REPLACE, SWAP_IF, TIMEOUT, TOUCH } from "./call-state.scripts.js";

/** What a transition script answered: `OK` (it wrote) or why not, with the state it saw. */
export interface Transition {
  code: "OK" | "NOOP" | "ALREADY" | "CALL_NOT_FOUND" | "CALL_ENDED" | "VERSION_CONFLICT" | "ANSWERED_ELSEWHERE" | "CALL_NOT_RINGING" | "DEVICE_CONFLICT" | "NOT_A_PARTY" | "CALL_FULL";
  state: CallState | null;
  previous: CallState | null;
}

const SCRIPTS = {
  callCreate: CREATE,
  callAccept: ACCEPT,
  callDecline: DECLINE,
  callHangup: HANGUP,
  callTimeout: TIMEOUT,
  callMarkBusy: MARK_BUSY,
  callReplace: REPLACE,
  callReap: REAP,
  callTouch: TOUCH,
  callSwapIf: SWAP_IF,
  callDeleteIf: DELETE_IF,
} as const;
type ScriptName = keyof typeof SCRIPTS;
/** Transitions write the state and the joined-parties hash (same hash slot). */
const TWO_KEYS = new Set<string>(["callCreate", "callAccept", "callDecline", "callHangup", "callTimeout", "callMarkBusy", "callReplace", "callReap"]);
type Scripted = Redis & { [K in ScriptName]: (...keysAndArgs: Array<string | number>) => Promise<unknown> };

/** Keys of one call share the `{call:<id>}` hash tag; per-user keys `{u:<id>}`; per-conversation keys `{c:<id>}`. */
const stateKey = (callId: string) => `{call:${callId}}:state`;
const joinedKey = (callId: string) => `{call:${callId}}:joined`;
const busyKey = (userId: string) => `{u:${userId}}:call`;
const conversationKey = (conversationId: string) => `{c:${conversationId}}:call`;
/** Calls under way, scored by when the liveness sweep should look at them next. */
const REAP_INDEX = "{calls}:reap";

/** A representative call of each script, with the keys a real call uses. */
function sampleCall(name: string): Array<string | number> {
  if (name === "callTouch") return [stateKey("call1"), "", 60_000, "u1", "d1"];
  if (name === "callSwapIf") return [conversationKey("c1"), "call1", "call2", 60_000];
  if (name === "callDeleteIf") return [busyKey("u1"), "call1"];
  if (name === "callCreate") return [stateKey("call1"), joinedKey("call1"), JSON.stringify({ id: "call1", parties: { u1: { deviceId: "d1" } }, version: 1 }), 60_000, "u1", "d1"];
  return [stateKey("call1"), joinedKey("call1"), "", 60_000, "u1", "d1"];
}

/**
 * The call state machine's store: one JSON document per call, changed only by
 * the transition scripts. The per-conversation pointer (glare) and the per-user
 * "in a call" keys live in other hash slots, so they are never touched by the
 * same script as a call: the service sets them in separate steps and repairs
 * them (compare-and-delete, validation on read) when a step is lost.
 */
export class CallStateRepository {
  private readonly redis: Scripted;

  constructor(redis: Redis, private readonly finalTtlMs: number) {
    const specs: Record<string, ScriptSpec> = {};
    for (const [name, lua] of Object.entries(SCRIPTS)) specs[name] = { numberOfKeys: TWO_KEYS.has(name) ? 2 : 1, lua, sample: () => sampleCall(name) };
    defineScripts(redis, specs);
    this.redis = redis as Scripted;
  }

  /** Writes a new call; `false` when the id is taken. */
  async create(state: CallState, ttlMs: number): Promise<boolean> {
    const caller = state.parties[state.initiatorId]!;
    return (await this.redis.callCreate(stateKey(state.id), joinedKey(state.id), JSON.stringify(state), ttlMs, state.initiatorId, caller.deviceId!)) === 1;
  }

  async get(callId: string): Promise<CallState | null> {
    const raw = await this.redis.get(stateKey(callId));
    return raw ? (JSON.parse(raw) as CallState) : null;
  }

  async getMany(callIds: readonly string[]): Promise<Array<CallState | null>> {
    if (callIds.length === 0) return [];
    const raws = await Promise.all(callIds.map((id) => this.redis.get(stateKey(id))));
    return raws.map((raw) => (raw ? (JSON.parse(raw) as CallState) : null));
  }

  /** Deletes a call nobody was told about (a glare loser before it rang). */
  async discard(callId: string): Promise<void> {
    await this.redis.del(stateKey(callId), joinedKey(callId));
  }

  /** The joined parties of a live call: user id → device id (empty when none or the call is over). */
  async joined(callId: string): Promise<Record<string, string>> {
    return this.redis.hgetall(joinedKey(callId));
  }

  accept(callId: string, userId: string, deviceId: string, mode: "answer" | "join", maxJoined: number, version?: number): Promise<Transition> {
    return this.run("callAccept", callId, version, userId, deviceId, mode, maxJoined);
  }

  decline(callId: string, userId: string, version?: number): Promise<Transition> {
    return this.run("callDecline", callId, version, userId);
  }

  hangup(callId: string, userId: string, deviceId: string, version?: number): Promise<Transition> {
    return this.run("callHangup", callId, version, userId, deviceId);
  }

  timeout(callId: string): Promise<Transition> {
    return this.run("callTimeout", callId, undefined);
  }

  markBusy(callId: string, userIds: readonly string[]): Promise<Transition> {
    return this.run("callMarkBusy", callId, undefined, userIds.join(","));
  }

  replace(callId: string, survivorId: string): Promise<Transition> {
    return this.run("callReplace", callId, undefined, survivorId);
  }

  reap(callId: string, graceMs: number, maxDurationMs: number, ringSlackMs: number): Promise<Transition> {
    return this.run("callReap", callId, undefined, graceMs, maxDurationMs, ringSlackMs);
  }

  /** Refreshes joined devices' liveness, one script per call, pipelined; answers which are still joined. */
  async touch(devices: ReadonlyArray<{ callId: string; userId: string; deviceId: string }>): Promise<boolean[]> {
    const results = await Promise.all(devices.map((d) => this.redis.callTouch(stateKey(d.callId), "", this.finalTtlMs, d.userId, d.deviceId)));
    return results.map((r) => r === 1);
  }

  // The conversation's call (glare detection).

  async claimConversation(conversationId: string, callId: string, ttlMs: number): Promise<string | null> {
    const key = conversationKey(conversationId);
    const set = await this.redis.set(key, callId, "PX", ttlMs, "NX");
    return set === "OK" ? callId : await this.redis.get(key);
  }

  /** Points the conversation at `to` if it still points at `from`; answers what it points at now. */
  async swapConversation(conversationId: string, from: string, to: string, ttlMs: number): Promise<string | null> {
    return (await this.redis.callSwapIf(conversationKey(conversationId), from, to, ttlMs)) as string | null;
  }

  async releaseConversation(conversationId: string, callId: string): Promise<void> {
    await this.redis.callDeleteIf(conversationKey(conversationId), callId);
  }

  // Per-user "in a call" keys (busy).

  async busyCalls(userIds: readonly string[]): Promise<Map<string, string>> {
    const values = await Promise.all(userIds.map((id) => this.redis.get(busyKey(id))));
    const out = new Map<string, string>();
    userIds.forEach((id, i) => values[i] && out.set(id, values[i]!));
    return out;
  }

  async setBusy(userId: string, callId: string, ttlMs: number): Promise<void> {
    await this.redis.set(busyKey(userId), callId, "PX", ttlMs);
  }

  /** Claims the user's busy key for `callId` unless another call holds it; answers the holder. */
  async claimBusy(userId: string, callId: string, ttlMs: number): Promise<string> {
    const set = await this.redis.set(busyKey(userId), callId, "PX", ttlMs, "NX");
    if (set === "OK") return callId;
    return (await this.redis.get(busyKey(userId))) ?? (await this.claimBusy(userId, callId, ttlMs));
  }

  async swapBusy(userId: string, from: string, to: string, ttlMs: number): Promise<void> {
    await this.redis.callSwapIf(busyKey(userId), from, to, ttlMs);
  }

  async releaseBusy(userIds: readonly string[], callId: string): Promise<void> {
    await Promise.all(userIds.map((id) => this.redis.callDeleteIf(busyKey(id), callId)));
  }

  // The liveness sweep's index.

  async scheduleReap(callId: string, at: number): Promise<void> {
    await this.redis.zadd(REAP_INDEX, at, callId);
  }

  async dueForReap(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(REAP_INDEX, "-inf", now, "LIMIT", 0, limit);
  }

  async unscheduleReap(callId: string): Promise<void> {
    await this.redis.zrem(REAP_INDEX, callId);
  }

  private async run(name: ScriptName, callId: string, version: number | undefined, ...args: Array<string | number>): Promise<Transition> {
    const [code, state, previous] = (await this.redis[name](stateKey(callId), joinedKey(callId), version === undefined ? "" : String(version), this.finalTtlMs, ...args)) as [
      Transition["code"],
      string | null,
      string | null,
    ];
    return {
      code,
      state: state ? (JSON.parse(state) as CallState) : null,
      previous: previous ? (JSON.parse(previous) as CallState) : null,
    };
  }
}
