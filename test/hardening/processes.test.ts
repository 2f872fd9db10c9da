import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { roleEnv } from "../helpers/test-env.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs a command to its end; answers its exit code and everything it wrote. */
function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => resolve({ code, output }));
  });
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });

describe("hardening: processes", function () {
  this.timeout(60_000);

  it("a worker with an unknown queue in WORKER_QUEUES exits 78 listing the variable, without a stack trace", async () => {
    const { code, output } = await run(process.execPath, ["--import", "tsx", "workers/main.ts"], roleEnv({ WORKER_QUEUES: "transcode,bogus", WORKER_PORT: "0" }));
    assert.equal(code, 78, output);
    assert.match(output, /WORKER_QUEUES: .*bogus/);
    assert.doesNotMatch(output, /\n\s+at /);
  });

  it("SIGTERM to `npm run mongo:embedded` stops the server process, not only npm", async () => {
    const child = spawn("npm", ["run", "--silent", "mongo:embedded", "--", "--port", "0"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let output = "";
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address printed: ${output}`)), 30_000);
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const match = /mongodb:\/\/127\.0\.0\.1:(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
    });
    assert.equal(await accepts(port), true);
    child.kill("SIGTERM");
    await exited;
    const deadline = Date.now() + 10_000;
    while ((await accepts(port)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(await accepts(port), false, "the embedded server still accepts connections after SIGTERM");
  });
});
