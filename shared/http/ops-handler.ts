import type { IncomingMessage, ServerResponse } from "node:http";
import { registry } from "../metrics/metrics.js";
import type { ReadinessReport } from "../runtime/readiness.js";

/**
 * Serves /healthz (the process is alive), /readyz (its stores answer; 503
 * otherwise) and /metrics (Prometheus) on any HTTP server. Returns false for
 * other paths so the caller can go on.
 */
export function createOpsHandler(readiness: () => Promise<ReadinessReport>, role: string) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = (req.url ?? "").split("?")[0];
    if (path === "/healthz") {
      send(res, 200, "application/json", JSON.stringify({ status: "ok", role }));
      return true;
    }
    if (path === "/readyz") {
      readiness()
        .then((report) => send(res, report.ready ? 200 : 503, "application/json", JSON.stringify({ role, ...report })))
        .catch((error: Error) => send(res, 503, "application/json", JSON.stringify({ role, ready: false, error: error.message })));
      return true;
    }
    if (path === "/metrics") {
      registry
        .metrics()
        .then((body) => send(res, 200, registry.contentType, body))
        .catch(() => send(res, 500, "text/plain", "metrics unavailable"));
      return true;
    }
    return false;
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}
