/**
 * The gateway benchmark's pieces that talk to processes: the forked load
 * process (IPC), Prometheus scrapes of a gateway, and the kernel's count of
 * listen-queue overflows.
 */
import { fork, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "./gateway-load.js";
import { ROOT, scrape, type Proc } from "./gateway-stack.js";

/** Drives the forked load process. */
export class Load {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(readonly child: ChildProcess) {
    child.on("message", (message: { id: number; result?: unknown; error?: string }) => {
      const entry = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error !== undefined) entry?.reject(new Error(message.error));
      else entry?.resolve(message.result);
    });
  }

  /** A new load process (a fresh one after many sockets: collecting their memory would pause the old one). */
  static fork(): Load {
    return new Load(fork(path.join(ROOT, "scripts/bench/gateway-load.ts"), [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] }));
  }

  call<T>(command: Command): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, command });
    });
  }

  kill(): void {
    this.child.kill("SIGKILL");
  }
}

export async function heapUsed(gateway: Proc): Promise<number> {
  return (await scrape(gateway.url, "nodejs_heap_size_used_bytes")).total;
}

export async function socketsOn(gateway: Proc): Promise<number> {
  return (await scrape(gateway.url, "gateway_sockets_connected")).total;
}

/**
 * TcpExt ListenOverflows and ListenDrops of this network namespace (/proc/net/netstat):
 * SYNs or completed connections the kernel dropped because an accept queue was full.
 */
export async function listenOverflows(): Promise<number> {
  const text = await readFile("/proc/net/netstat", "utf8");
  const lines = text.split("\n").filter((line) => line.startsWith("TcpExt:"));
  const [names, values] = [lines[0]!.split(/\s+/), lines[1]!.split(/\s+/)];
  return Number(values[names.indexOf("ListenOverflows")] ?? 0);
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
export const ms = (value: number | null) => (value !== null && Number.isFinite(value) ? `${value.toFixed(1)} ms` : "n/a");
export const sleep = (msec: number) => new Promise((resolve) => setTimeout(resolve, msec));
export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
