import assert from "node:assert/strict";
import WebSocket from "ws";
import { startGateway, type Gateway } from "../../gateway/server.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createQuietPlatform as createTestPlatform } from "./quiet-platform.js";
import { createTestUser, type TestUser } from "../helpers/users.js";

/** A Socket.IO client spoken by hand over a plain WebSocket (Engine.IO v4 framing). */
class RawSocket {
  private readonly frames: string[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(private readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const frame = String(data);
      if (frame === "2") return ws.send("3"); // Engine.IO ping → pong
      this.frames.push(frame);
      this.wake();
    });
    ws.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  static async connect(port: number, token: string): Promise<RawSocket> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    const socket = new RawSocket(ws); // listening before "open": the first frame may come with the upgrade
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    assert.match(await socket.next(), /^0\{/); // Engine.IO open
    ws.send(`40${JSON.stringify({ token })}`);
    assert.match(await socket.next(), /^40\{"sid"/);
    return socket;
  }

  send(frame: string): void {
    this.ws.send(frame);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** The next frame, or "closed" when the server closed the connection. */
  async next(timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) return "closed";
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("no frame in time");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.frames.shift()!;
  }

  /** The acknowledgement with `id`, parsed. */
  async ack(id: number): Promise<{ ok: boolean; error?: { code: string } }> {
    for (;;) {
      const frame = await this.next();
      if (frame === "closed") throw new Error(`closed before ack ${id}`);
      const match = /^43(\d+)(.*)$/.exec(frame);
      if (match && Number(match[1]) === id) return (JSON.parse(match[2]!) as [{ ok: boolean; error?: { code: string } }])[0];
    }
  }

  close(): void {
    this.ws.close();
  }
}

describe("hardening: every socket packet gets an answer or a disconnect", function () {
  let platform: Platform;
  let services: Services;
  let gateway: Gateway;
  let user: TestUser;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    gateway = await startGateway(platform, services, 0);
    user = await createTestUser(services);
    process.on("unhandledRejection", onRejection);
  });
  after(async () => {
    process.off("unhandledRejection", onRejection);
    await gateway.close();
    await platform.close();
  });

  it("answers an event named error with UNKNOWN_EVENT", async () => {
    const socket = await RawSocket.connect(gateway.port, user.accessToken);
    try {
      socket.send(`421["error",{}]`);
      const ack = await socket.ack(1);
      assert.equal(ack.ok, false);
      assert.equal(ack.error?.code, "UNKNOWN_EVENT");
    } finally {
      socket.close();
    }
  });

  it("answers nameless packets that carry an ack id, and disconnects those that do not", async () => {
    const socket = await RawSocket.connect(gateway.port, user.accessToken);
    try {
      socket.send("422");
      assert.equal((await socket.ack(2)).error?.code, "VALIDATION_FAILED");
      socket.send("42/,5");
      assert.equal((await socket.ack(5)).error?.code, "VALIDATION_FAILED");
      socket.send("427[5]");
      assert.equal((await socket.ack(7)).error?.code, "VALIDATION_FAILED");
      socket.send("42");
      let frame = await socket.next();
      while (frame !== "closed" && frame !== "41") frame = await socket.next();
      assert.ok(frame === "closed" || frame === "41", frame);
    } finally {
      socket.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(rejections, []);
  });

  it("counts every event, error included, against the socket's budget", async () => {
    const socket = await RawSocket.connect(gateway.port, user.accessToken);
    try {
      for (let i = 1; i <= 310; i++) socket.send(`42${i}["error"]`);
      const codes: string[] = [];
      for (let i = 1; i <= 310; i++) codes.push((await socket.ack(i)).error?.code ?? "ok");
      assert.equal(codes.filter((code) => code === "UNKNOWN_EVENT").length, 300);
      assert.equal(codes.filter((code) => code === "RATE_LIMITED").length, 10);
      socket.send(`42999["system:ping"]`);
      assert.equal((await socket.ack(999)).error?.code, "RATE_LIMITED");
    } finally {
      socket.close();
    }
  });
});
