import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Platform } from "../../shared/runtime/platform.js";
import { createTestPlatform } from "../helpers/platform.js";
import { freePort, waitFor } from "../helpers/ports.js";
import { spawnRole, stopAllRoles, type RoleProcess } from "../helpers/processes.js";
import { connectSocket } from "../helpers/sockets.js";
import { createTestUser, type TestUser } from "../helpers/users.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The shipped docker/haproxy.cfg with only addresses changed: the public bind
 * becomes a local port and the DNS-templated gateway servers become the given
 * replicas, keeping every option of the template line.
 */
async function templatedConfig(lbPort: number, gateways: readonly number[]): Promise<string> {
  const shipped = await readFile(path.join(ROOT, "docker/haproxy.cfg"), "utf8");
  const template = /^(\s*)server-template gw \d+ gateway:3001 (.*)$/m.exec(shipped);
  assert.ok(template, "docker/haproxy.cfg has no gateway server-template line");
  const options = template[2]!.replace(/\s*resolvers \S+/, "").replace(/\s*init-addr \S+/, "");
  const servers = gateways.map((port, i) => `${template[1]}server gw${i + 1} 127.0.0.1:${port} ${options}`).join("\n");
  assert.match(shipped, /^\s*bind \*:8080$/m);
  return shipped
    .replace(template[0], servers)
    .replace(/^(\s*)bind \*:8080$/m, `$1bind 127.0.0.1:${lbPort}`)
    .replace(/^(\s*)server-template api .*$/m, "$1server api1 127.0.0.1:9 disabled")
    .replace(/^\s*maxconn \d+$/m, "  maxconn 2000");
}

/** An Engine.IO long-polling session spoken by hand, carrying whatever cookie the balancer set. */
class PollingSession {
  cookie = "";
  sid = "";
  constructor(private readonly base: string) {}

  private async request(method: "GET" | "POST", body?: string): Promise<{ status: number; text: string }> {
    const query = `EIO=4&transport=polling${this.sid ? `&sid=${this.sid}` : ""}&t=${Date.now()}${Math.random()}`;
    const res = await fetch(`${this.base}/socket.io/?${query}`, {
      method,
      headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...(body === undefined ? {} : { "content-type": "text/plain;charset=UTF-8" }) },
      ...(body === undefined ? {} : { body }),
    });
    const setCookie = res.headers.get("set-cookie");
    if (setCookie) this.cookie = setCookie.split(";")[0]!;
    return { status: res.status, text: await res.text() };
  }

  async open(token: string): Promise<void> {
    const open = await this.request("GET");
    assert.equal(open.status, 200, open.text);
    this.sid = (JSON.parse(open.text.slice(1)) as { sid: string }).sid;
    assert.equal((await this.request("POST", `40${JSON.stringify({ token })}`)).status, 200);
    const connected = await this.request("GET");
    assert.match(connected.text, /40\{"sid"/, connected.text);
  }

  /** One event with an ack, over two HTTP requests; answers the ack packet. */
  async ping(id: number): Promise<string> {
    const post = await this.request("POST", `42${id}["system:ping"]`);
    if (post.status !== 200) return `POST ${post.status} ${post.text}`;
    const poll = await this.request("GET");
    return poll.status === 200 ? poll.text : `GET ${poll.status} ${poll.text}`;
  }
}

describe("hardening: HAProxy with the shipped configuration in front of two gateway replicas", function () {
  this.timeout(90_000);
  let platform: Platform;
  let user: TestUser;
  let gateways: RoleProcess[] = [];
  let haproxy: ChildProcess | undefined;
  let haproxyOutput = "";
  let dir = "";
  let base = "";

  before(async () => {
    const test = await createTestPlatform();
    platform = test.platform;
    user = await createTestUser(test.services);
    gateways = [await spawnRole("gateway"), await spawnRole("gateway")];
    const lbPort = await freePort();
    dir = await mkdtemp(path.join(tmpdir(), "cw-haproxy-"));
    const file = path.join(dir, "haproxy.cfg");
    await writeFile(file, await templatedConfig(lbPort, gateways.map((g) => g.port)));
    haproxy = spawn("haproxy", ["-db", "-f", file], { stdio: ["ignore", "pipe", "pipe"] });
    haproxy.stdout?.on("data", (chunk: Buffer) => (haproxyOutput += chunk.toString()));
    haproxy.stderr?.on("data", (chunk: Buffer) => (haproxyOutput += chunk.toString()));
    base = `http://127.0.0.1:${lbPort}`;
    await waitFor(async () => (await fetch(`${base}/socket.io/?EIO=4&transport=polling`)).status === 200, 20_000, `haproxy to route (${haproxyOutput})`);
  });

  after(async () => {
    haproxy?.kill("SIGTERM");
    await stopAllRoles();
    await platform.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("upgrades WebSocket connections through the balancer", async () => {
    const socket = await connectSocket(base, user.accessToken);
    try {
      const ack = await socket.timeout(5000).emitWithAck("system:ping", {});
      assert.equal(ack.ok, true);
    } finally {
      socket.close();
    }
  });

  it("gives each replica its own cookie and keeps a long-polling session on its replica across many requests", async () => {
    const cookies = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const probe = new PollingSession(base);
      await probe.open(user.accessToken);
      cookies.add(probe.cookie);
    }
    assert.equal(cookies.size, 2, `cookies: ${[...cookies].join(" ")}`);

    const session = new PollingSession(base);
    await session.open(user.accessToken);
    for (let i = 1; i <= 40; i++) {
      const answer = await session.ping(i);
      assert.match(answer, new RegExp(`^43${i}\\[\\{"ok":true`), `request ${i}: ${answer}`);
    }
  });

  it("fails over to the other replica when one is SIGKILLed", async () => {
    const victim = gateways[0]!;
    victim.kill("SIGKILL");
    await victim.exited;
    await waitFor(async () => {
      (await connectSocket(base, user.accessToken)).close();
      return true;
    }, 15_000, "a connection after the kill");
    for (let i = 0; i < 6; i++) {
      const socket = await connectSocket(base, user.accessToken);
      const ack = await socket.timeout(5000).emitWithAck("system:ping", {});
      socket.close();
      assert.equal(ack.ok, true);
    }
    // A long-polling client whose cookie names the dead replica is redispatched and gets a new session.
    const session = new PollingSession(base);
    await session.open(user.accessToken);
    assert.match(await session.ping(1), /^431\[\{"ok":true/);
  });
});
