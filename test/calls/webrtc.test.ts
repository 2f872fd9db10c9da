import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { RTCPeerConnection, type RTCIceServer } from "werift";
import type { CallSignalEvent } from "../../shared/calls/call.events.js";
import type { CallView, IceServersResult, InviteResult } from "../../shared/calls/call.types.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { httpCall } from "../helpers/http.js";
import { freePort, waitFor } from "../helpers/ports.js";
import { spawnRole, stopAllRoles, type RoleProcess } from "../helpers/processes.js";
import type { ClientSocket } from "../helpers/sockets.js";
import type { TestUser } from "../helpers/users.js";
import { CALL_TEST_ENV, callTestPlatform, Devices, makeUsers, ok, request } from "./call-fixtures.js";

const TURN_SECRET = "webrtc-test-turn-secret-0123456789";

/** Whether a STUN server answers a binding request on 127.0.0.1:port within 300 ms. */
function stunAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket("udp4");
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt32BE(0x2112a442, 4);
    randomBytes(12).copy(request, 8);
    const done = (answered: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(answered);
    };
    const timer = setTimeout(() => done(false), 300);
    socket.once("message", () => done(true));
    socket.once("error", () => done(false));
    socket.send(request, port, "127.0.0.1");
  });
}

/** coturn on free loopback ports, with the TURN REST API secret and no configuration file. */
async function startCoturn(): Promise<{ port: number; process: ChildProcess; output: () => string }> {
  const port = await freePort();
  const relayStart = 40_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(
    "turnserver",
    [
      "-n",
      "--listening-ip=127.0.0.1",
      "--relay-ip=127.0.0.1",
      `--listening-port=${port}`,
      `--min-port=${relayStart}`,
      `--max-port=${relayStart + 200}`,
      "--use-auth-secret",
      `--static-auth-secret=${TURN_SECRET}`,
      "--realm=chatwave.test",
      "--allow-loopback-peers",
      "--no-tls",
      "--no-dtls",
      "--no-cli",
      "--no-tcp-relay",
      `--pidfile=/tmp/turnserver-${port}.pid`,
      `--userdb=/tmp/turnserver-${port}.db`,
      "--log-file=stdout",
      "--simple-log",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`turnserver exited:\n${output}`);
      return stunAnswers(port);
    }, 15_000, "coturn to answer a STUN binding request");
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`coturn did not start: ${(error as Error).message}\n${output}`, { cause: error });
  }
  return { port, process: child, output: () => output };
}

/**
 * A WebRTC peer that signals only through the gateway: its offer/answer and
 * candidates go out as call:signal and come in as call:signal.
 */
function peerOverGateway(socket: ClientSocket, callId: string, config: { iceServers?: RTCIceServer[]; iceTransportPolicy?: "all" | "relay" }) {
  const pc = new RTCPeerConnection({ ...config, iceAdditionalHostAddresses: ["127.0.0.1"], iceUseIpv6: false });
  const sent = { offer: 0, answer: 0, candidates: 0 };
  const relayed: string[] = [];
  pc.onIceCandidate.subscribe((candidate) => {
    if (!candidate) return;
    const json = candidate.toJSON();
    if (json.candidate) relayed.push(json.candidate);
    sent.candidates++;
    void request(socket, "call:signal", {
      callId,
      kind: "candidates",
      payload: { candidates: [{ candidate: json.candidate ?? "", sdpMid: json.sdpMid ?? null, sdpMLineIndex: json.sdpMLineIndex ?? null }] },
    });
  });
  (socket as unknown as { on(e: string, l: (s: CallSignalEvent) => void): void }).on("call:signal", (signal) => {
    void (async () => {
      if (signal.callId !== callId) return;
      if (signal.kind === "offer") {
        await pc.setRemoteDescription(signal.payload as { type: "offer"; sdp: string });
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        sent.answer++;
        ok(await request(socket, "call:signal", { callId, toDeviceId: signal.fromDeviceId, kind: "answer", payload: { type: "answer", sdp: pc.localDescription!.sdp } }));
      } else if (signal.kind === "answer") {
        await pc.setRemoteDescription(signal.payload as { type: "answer"; sdp: string });
      } else if (signal.kind === "candidates") {
        for (const candidate of (signal.payload as { candidates: Array<{ candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null }> }).candidates) {
          if (candidate.candidate) await pc.addIceCandidate({ candidate: candidate.candidate, sdpMid: candidate.sdpMid ?? "0", sdpMLineIndex: candidate.sdpMLineIndex ?? 0 });
        }
      }
    })().catch(() => undefined);
  });
  return {
    pc,
    sent,
    relayed,
    async offer() {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      sent.offer++;
      ok(await request(socket, "call:signal", { callId, kind: "offer", payload: { type: "offer", sdp: pc.localDescription!.sdp } }));
    },
  };
}

describe("a real WebRTC peer connection signalled through the gateways", function () {
  this.timeout(60_000);
  let platform: Platform;
  let services: Services;
  let coturn: Awaited<ReturnType<typeof startCoturn>>;
  let gatewayA: RoleProcess;
  let gatewayB: RoleProcess;
  let api: RoleProcess;
  const devices = new Devices();
  const peers: RTCPeerConnection[] = [];

  before(async function () {
    this.timeout(120_000);
    if (spawnSync("sh", ["-c", "command -v turnserver"]).status !== 0) throw new Error("turnserver (Debian package coturn) is not installed: run node scripts/preflight.mjs as root, or apt-get install -y coturn");
    ({ platform, services } = await callTestPlatform());
    coturn = await startCoturn();
    const env = { ...CALL_TEST_ENV, TURN_SECRET, TURN_URLS: `turn:127.0.0.1:${coturn.port}?transport=udp`, STUN_URLS: `stun:127.0.0.1:${coturn.port}` };
    // One at a time: on a busy machine three cold starts at once can outlast the start timeout.
    gatewayA = await spawnRole("gateway", env);
    gatewayB = await spawnRole("gateway", env);
    api = await spawnRole("api", env);
  });

  afterEach(async () => {
    for (const pc of peers.splice(0)) await pc.close().catch(() => undefined);
    devices.closeAll();
  });

  after(async function () {
    this.timeout(120_000);
    coturn?.process.kill("SIGTERM");
    await stopAllRoles();
    await platform?.close();
  });

  async function connectedCall(): Promise<{ caller: ClientSocket; callee: ClientSocket; callId: string; ann: TestUser; bob: TestUser }> {
    const [ann, bob] = (await makeUsers(services, 2)) as [TestUser, TestUser];
    const conversation = await services.chat.conversations.openDirect(ann, bob.userId);
    const caller = await devices.connect(gatewayA.url, ann, "ann-pc");
    const callee = await devices.connect(gatewayB.url, bob, "bob-pc");
    const { call } = ok(await request<InviteResult>(caller, "call:invite", { conversationId: conversation.id, mediaType: "audio" }));
    ok(await request<CallView>(callee, "call:accept", { callId: call.id }));
    return { caller, callee, callId: call.id, ann, bob };
  }

  /** Opens a data channel between the two peers and sends one message each way. */
  async function exchange(caller: ReturnType<typeof peerOverGateway>, callee: ReturnType<typeof peerOverGateway>): Promise<void> {
    const channel = caller.pc.createDataChannel("chat");
    const heardByCallee = new Promise<string>((resolve) => {
      callee.pc.onDataChannel.subscribe((remote) => {
        remote.onMessage.subscribe((data) => {
          resolve(data.toString());
          remote.send("pong");
        });
      });
    });
    const heardByCaller = new Promise<string>((resolve) => channel.onMessage.subscribe((data) => resolve(data.toString())));
    channel.stateChanged.subscribe((state) => {
      if (state === "open") channel.send("ping");
    });
    await caller.offer();
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no data channel within 20 s")), 20_000));
    assert.equal(await Promise.race([heardByCallee, timeout]), "ping");
    assert.equal(await Promise.race([heardByCaller, timeout]), "pong");
    assert.equal(caller.sent.offer, 1);
    assert.equal(callee.sent.answer, 1);
    assert.ok(caller.sent.candidates > 0 && callee.sent.candidates > 0, "candidates went through the gateway");
  }

  it("opens a data channel over loopback with offer, answer and candidates relayed by call:signal", async () => {
    const { caller, callee, callId } = await connectedCall();
    const a = peerOverGateway(caller, callId, {});
    const b = peerOverGateway(callee, callId, {});
    peers.push(a.pc, b.pc);
    await exchange(a, b);
    ok(await request(caller, "call:hangup", { callId }));
  });

  it("connects with iceTransportPolicy relay through coturn, using the credentials from /api/calls/ice-servers", async () => {
    const { caller, callee, callId, ann, bob } = await connectedCall();
    const iceFor = async (user: TestUser) => {
      const res = await httpCall<IceServersResult>(api.url, "GET", "/api/calls/ice-servers", { token: user.accessToken });
      assert.equal(res.status, 200);
      return res.body.iceServers.map((s) => ({ ...s, urls: s.urls })) as RTCIceServer[];
    };
    const a = peerOverGateway(caller, callId, { iceServers: await iceFor(ann), iceTransportPolicy: "relay" });
    const b = peerOverGateway(callee, callId, { iceServers: await iceFor(bob), iceTransportPolicy: "relay" });
    peers.push(a.pc, b.pc);
    await exchange(a, b);
    assert.ok([...a.relayed, ...b.relayed].every((c) => / typ relay/.test(c)), "only relay candidates were offered");
    ok(await request(caller, "call:hangup", { callId }));
  });
});
