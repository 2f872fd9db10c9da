import { pino, type Logger } from "pino";
import type { Config } from "../config/config.js";

export type { Logger } from "pino";

/** Paths whose values never reach a log line. */
const REDACT = [
  "password",
  "newPassword",
  "currentPassword",
  "token",
  "accessToken",
  "refreshToken",
  "code",
  "secret",
  "*.password",
  "*.token",
  "*.accessToken",
  "*.refreshToken",
  "*.secret",
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "auth.token",
];

/** JSON logs in production, readable ones in development; secrets redacted everywhere. */
export function createLogger(config: Pick<Config, "LOG_LEVEL" | "NODE_ENV">, name = "chatwave"): Logger {
  const pretty = config.NODE_ENV === "development" && process.stdout.isTTY;
  return pino({
    name,
    level: config.LOG_LEVEL,
    redact: { paths: REDACT, censor: "[redacted]" },
    ...(pretty
      ? { transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" } } }
      : {}),
  });
}
