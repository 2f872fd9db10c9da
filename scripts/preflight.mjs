#!/usr/bin/env node
// Runs before `npm start` and `npm test` on any machine, fresh or not, using
// only Node's standard library: installs what the project needs and checks
// that the stores it cannot install answer.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import net from "node:net";

const say = (line) => process.stderr.write(`[preflight] ${line}\n`);

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${result.status}`);
}

function nodeModulesFresh() {
  if (!existsSync("node_modules/.package-lock.json")) return false;
  return statSync("node_modules/.package-lock.json").mtimeMs >= statSync("package-lock.json").mtimeMs;
}

function has(binary) {
  return spawnSync("sh", ["-c", `command -v ${binary}`], { stdio: "ignore" }).status === 0;
}

function ensureFfmpeg() {
  if (has("ffmpeg") && has("ffprobe")) return;
  const isRoot = process.getuid?.() === 0;
  if (isRoot && has("apt-get")) {
    say("ffmpeg is missing: installing the Debian package (apt-get install -y ffmpeg)...");
    run("apt-get", ["update", "-qq"]);
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "ffmpeg"], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    return;
  }
  say("ffmpeg and ffprobe are required for video transcoding and are not installed.");
  say("Install them with:  sudo apt-get install -y ffmpeg   (Debian/Ubuntu)  or  brew install ffmpeg  (macOS)");
  process.exit(1);
}

// ffmpeg is started through util-linux's setpriv (--pdeathsig) so it dies with its worker even
// when the worker is SIGKILLed; without it a killed worker can leave ffmpeg running.
function checkSetpriv() {
  if (process.platform !== "linux" || existsSync("/usr/bin/setpriv")) return;
  say("/usr/bin/setpriv (Debian package util-linux) is missing: ffmpeg will not be killed with a crashed worker.");
  say("Install it with:  sudo apt-get install -y util-linux");
}

/** HAProxy runs the load-balancer test in front of spawned gateway replicas (Debian package `haproxy`). */
function ensureHaproxy() {
  if (has("haproxy")) return;
  if (process.getuid?.() === 0 && has("apt-get")) {
    say("haproxy is missing: installing the Debian package (apt-get install -y haproxy)...");
    run("apt-get", ["update", "-qq"]);
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "haproxy"], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    return;
  }
  say("haproxy is required by the load-balancer test (test/hardening/haproxy.test.ts) and is not installed.");
  say("Install it with:  sudo apt-get install -y haproxy   (Debian/Ubuntu)  or  brew install haproxy  (macOS)");
  process.exit(1);
}

// `ss` (iproute2) reads a listening socket's backlog in the gateway tests.
function ensureSs() {
  if (has("ss")) return;
  if (process.getuid?.() === 0 && has("apt-get")) {
    say("ss is missing: installing the Debian package (apt-get install -y iproute2)...");
    run("apt-get", ["update", "-qq"]);
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "iproute2"], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    return;
  }
  say("ss (package iproute2) is not installed; the gateway tests need it: sudo apt-get install -y iproute2");
}

/** coturn's turnserver runs in the calls tests (TURN relay); installed from Debian where possible. */
function ensureCoturn() {
  if (has("turnserver")) return;
  if (process.getuid?.() === 0 && has("apt-get")) {
    say("turnserver is missing: installing the Debian package (apt-get install -y coturn)...");
    run("apt-get", ["update", "-qq"]);
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "coturn"], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
    return;
  }
  say("turnserver (coturn) is required by the calls tests (test/calls/webrtc.test.ts) and is not installed.");
  say("Install it with:  sudo apt-get install -y coturn   (Debian/Ubuntu)  or  brew install coturn  (macOS)");
  process.exit(1);
}

function reachable(url, fallbackPort) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || "127.0.0.1", port: Number(port || fallbackPort) });
    socket.setTimeout(2000);
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("timeout", () => { socket.destroy(); resolve(false); });
    socket.once("error", () => resolve(false));
  });
}

if (!nodeModulesFresh()) {
  say("installing node dependencies (npm install, from the lock file)...");
  run("npm", ["install", "--no-audit", "--no-fund"]);
}
ensureFfmpeg();
ensureSs();
checkSetpriv();
ensureHaproxy();
ensureCoturn();

const databaseUrl = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/chatwave";
const redisUrl = process.env.REDIS_URL || "redis://127.0.0.1:6379";
const problems = [];
if (!(await reachable(databaseUrl, 5432))) {
  problems.push(
    `PostgreSQL does not answer at ${new URL(databaseUrl).host}. Start it, e.g.:\n` +
      "    pg_ctlcluster $(ls /etc/postgresql) main start      (Debian)\n" +
      "    docker compose up -d postgres                        (Docker)",
  );
}
if (!(await reachable(redisUrl, 6379))) {
  problems.push(
    `Redis does not answer at ${new URL(redisUrl).host}. Start it, e.g.:\n` +
      "    redis-server --daemonize yes --port 6379             (local)\n" +
      "    docker compose up -d redis                           (Docker)",
  );
}
if (problems.length > 0) {
  for (const problem of problems) say(problem);
  process.exit(1);
}
try {
  execFileSync("ffmpeg", ["-version"], { stdio: "ignore" });
} catch {
  say("ffmpeg is installed but does not run");
  process.exit(1);
}
