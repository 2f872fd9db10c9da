import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** One registry per process; every role exposes it at /metrics. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const metrics = {
  httpRequests: new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration by route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  }),
  mongoCommands: new Counter({
    name: "mongo_commands_total",
    help: "MongoDB commands sent, by command and outcome",
    labelNames: ["command", "outcome"] as const,
    registers: [registry],
  }),
  socketsConnected: new Gauge({
    name: "gateway_sockets_connected",
    help: "Sockets currently connected to this gateway",
    registers: [registry],
  }),
  socketEvents: new Counter({
    name: "gateway_socket_events_total",
    help: "Socket events handled, by event and outcome",
    labelNames: ["event", "outcome"] as const,
    registers: [registry],
  }),
  jobsProcessed: new Counter({
    name: "worker_jobs_total",
    help: "Jobs processed, by queue and outcome",
    labelNames: ["queue", "outcome"] as const,
    registers: [registry],
  }),
  jobDuration: new Histogram({
    name: "worker_job_duration_seconds",
    help: "Job processing time by queue",
    labelNames: ["queue"] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [registry],
  }),
};
