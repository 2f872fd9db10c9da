import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { freePort, waitFor } from "./ports.js";
import { roleEnv } from "./test-env.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ENTRY = { api: "api/main.ts", gateway: "gateway/main.ts", worker: "workers/main.ts" } as const;
const PORT_VAR = { api: "API_PORT", gateway: "GATEWAY_PORT", worker: "WORKER_PORT" } as const;

export type Role = keyof typeof ENTRY;

export interface RoleProcess {
  role: Role;
  port: number;
  url: string;
  child: ChildProcess;
  /** Everything the process wrote, for failure messages. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
}

const running = new Set<RoleProcess>();

/** Spawns a real role process (`node --import tsx <role>/main.ts`) and waits until /healthz answers. */
export async function spawnRole(role: Role, extraEnv: Record<string, string> = {}): Promise<RoleProcess> {
  const port = await freePort();
  const env = { ...process.env, ...roleEnv({ [PORT_VAR[role]]: String(port), ...extraEnv }) };
  const child = spawn(process.execPath, ["--import", "tsx", ENTRY[role]], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const proc: RoleProcess = {
    role,
    port,
    url,
    child,
    output: () => output,
    exited,
    kill: (signal = "SIGTERM") => void child.kill(signal),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      running.delete(proc);
    },
  };
  running.add(proc);
  let dead = false;
  void exited.then(() => (dead = true));
  try {
    await waitFor(async () => {
      if (dead) throw new Error("exited");
      const res = await fetch(`${url}/healthz`);
      return res.ok;
    }, 60_000, `${role} to start`);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${role} did not start: ${(error as Error).message}\n${output}`, { cause: error });
  }
  if (dead) throw new Error(`${role} exited during start:\n${output}`);
  return proc;
}

/** Kills whatever a test left running (safety net for failed tests). */
export async function stopAllRoles(): Promise<void> {
  await Promise.all([...running].map((proc) => proc.stop()));
}
