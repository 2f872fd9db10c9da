import { isIP } from "node:net";
import { z } from "zod";
import { QUEUE_NAMES } from "../queues/job-definition.js";

/** The secret every local checkout shares; refused in production. */
export const DEFAULT_JWT_SECRET = "local-development-secret-change-me-0123456789";
/** The TURN REST secret every local checkout (and docker-compose's coturn) shares; refused in production. */
export const DEFAULT_TURN_SECRET = "local-turn-secret-change-me-0123456789";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const csv = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/** `host:port` seed nodes of a Redis Cluster: each needs a host and a port 1-65535. */
const clusterNodes = csv.transform((items, ctx) => {
  const nodes: Array<{ host: string; port: number }> = [];
  for (const item of items) {
    const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(item);
    const portNumber = Number(match?.[2]);
    if (!match || !(portNumber >= 1 && portNumber <= 65535)) {
      ctx.addIssue({ code: "custom", message: `"${item}" is not host:port` });
      return z.NEVER;
    }
    nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ""), port: portNumber });
  }
  return nodes;
});

/** Names Express's `trust proxy` accepts for address ranges. */
const PROXY_RANGE_NAMES = ["loopback", "linklocal", "uniquelocal"];

/** An address, a CIDR range (`10.0.0.0/8`, `fd00::/8`) or one of PROXY_RANGE_NAMES. */
function isProxyAddress(value: string): boolean {
  if (PROXY_RANGE_NAMES.includes(value)) return true;
  const [address, bits, extra] = value.split("/");
  if (extra !== undefined || !address) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^[0-9]{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * Which peers may set X-Forwarded-For: `false` (none; the default), a hop count
 * (the n closest proxies), or a list of addresses, CIDR ranges and range names.
 * The value is what Express's `trust proxy` setting takes.
 */
export type TrustProxy = false | number | string[];

const trustProxy = z
  .string()
  .trim()
  .transform((value, ctx): TrustProxy => {
    if (["none", "false", "0"].includes(value.toLowerCase())) return false;
    if (/^[0-9]{1,2}$/.test(value)) return Number(value);
    const items = value.split(",").map((item) => item.trim()).filter((item) => item.length > 0);
    const bad = items.filter((item) => !isProxyAddress(item));
    if (items.length === 0 || bad.length > 0) {
      ctx.addIssue({ code: "custom", message: `expected none, a hop count, or addresses/CIDR ranges/${PROXY_RANGE_NAMES.join("/")} (bad: ${bad.join(", ") || "empty"})` });
      return z.NEVER;
    }
    return items;
  });

/** "all", or a comma list of known queue names. */
const workerQueues = csv.superRefine((names, ctx) => {
  const unknown = names.filter((name) => name !== "all" && !(QUEUE_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) ctx.addIssue({ code: "custom", message: `unknown queue(s) ${unknown.join(", ")}; expected all or any of ${QUEUE_NAMES.join(", ")}` });
  if (names.length === 0) ctx.addIssue({ code: "custom", message: "name at least one queue, or all" });
});

/**
 * Every environment variable the system reads, with its default.
 * The README's configuration table documents each one.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Host all HTTP listeners bind to. */
  HOST: z.string().min(1).default("127.0.0.1"),
  API_PORT: port.default(3000),
  GATEWAY_PORT: port.default(3001),
  WORKER_PORT: port.default(3002),
  /** Public base URL of the API, used in links (media, deep links, e-mails). */
  PUBLIC_URL: z.url().default("http://localhost:3000"),
  /** Proxies whose X-Forwarded-For the API believes (see TrustProxy); none by default. */
  TRUST_PROXY: trustProxy.default(false),

  DATABASE_URL: z.string().min(1).default("postgres://postgres@127.0.0.1:5432/chatwave"),
  PG_POOL_MAX: positiveInt.default(10),
  /** Create the PostgreSQL database named in DATABASE_URL if it is missing (local use). */
  DATABASE_CREATE: bool.default(true),
  REDIS_URL: z.string().min(1).default("redis://127.0.0.1:6379"),
  /**
   * Seed nodes of a Redis Cluster (`host:port,host:port`). Set: every Redis
   * client (app, BullMQ, Socket.IO adapter) is an ioredis Cluster client and
   * REDIS_URL is ignored (its password and TLS still apply). Unset: single node.
   */
  REDIS_CLUSTER_NODES: clusterNodes.default([]),
  /** Prefix of every Redis key, BullMQ queue and Socket.IO channel this deployment uses. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_:.-]{1,40}$/).default("cw:"),
  /** Unset: the embedded MongoDB-compatible server is started in-process (development only). */
  MONGO_URL: z.string().optional(),
  /** Port of the embedded server `npm start` runs when MONGO_URL is unset (0: any free port). */
  MONGO_EMBEDDED_PORT: port.default(0),
  MONGO_DB: z.string().regex(/^[A-Za-z0-9_-]{1,60}$/).default("chatwave"),
  SLOW_QUERY_MS: positiveInt.default(100),

  JWT_SECRET: z.string().min(32).default(DEFAULT_JWT_SECRET),
  JWT_ISSUER: z.string().min(1).default("chatwave"),
  JWT_AUDIENCE: z.string().min(1).default("chatwave-clients"),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt.default(900),
  REFRESH_TOKEN_TTL_SECONDS: positiveInt.default(60 * 60 * 24 * 30),
  /** How long the parent of a just-rotated refresh token may be presented again without revoking the session. */
  REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  /** Consecutive failed logins (inside the window) that lock an account. */
  AUTH_LOCKOUT_THRESHOLD: positiveInt.default(5),
  AUTH_LOCKOUT_WINDOW_SECONDS: positiveInt.default(15 * 60),
  AUTH_LOCKOUT_DURATION_SECONDS: positiveInt.default(15 * 60),
  EMAIL_VERIFICATION_TTL_SECONDS: positiveInt.default(24 * 60 * 60),
  PASSWORD_RESET_TTL_SECONDS: positiveInt.default(30 * 60),
  /** argon2id cost; the defaults are OWASP's (19 MiB, 2 passes, 1 lane). Hashes are upgraded at login. */
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(8192).max(1_048_576).default(19_456),
  ARGON2_TIME_COST: z.coerce.number().int().min(1).max(20).default(2),
  ARGON2_PARALLELISM: z.coerce.number().int().min(1).max(16).default(1),
  /** Newline-separated list of refused passwords; unset: the list shipped in shared/auth. */
  COMMON_PASSWORDS_FILE: z.string().min(1).optional(),
  /** Issuer shown by authenticator apps. */
  TOTP_ISSUER: z.string().min(1).max(64).default("ChatWave"),

  /** Origins allowed to open sockets and call the API from a browser ("*" allows any). */
  CORS_ORIGINS: csv.default(["http://localhost:3000", "http://127.0.0.1:3000"]),
  SOCKET_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024).max(65536).default(65536),
  SOCKET_MAX_CONNECTIONS_PER_USER: positiveInt.default(10),
  /** Messages one socket may send per 10 seconds (chat:send), besides the budget for all events. */
  SOCKET_MESSAGE_SEND_LIMIT: positiveInt.default(100),
  /** How long a device counts as online without a gateway heartbeat (a replica that died without a clean disconnect). */
  PRESENCE_TTL_SECONDS: z.coerce.number().int().min(3).max(3600).default(60),
  /** Pending connections the gateway's listening socket queues (server.listen backlog; the kernel caps it at net.core.somaxconn). */
  GATEWAY_LISTEN_BACKLOG: z.coerce.number().int().min(1).max(65535).default(4096),
  /**
   * How long a claimed but unwritten seq holds sync back before sync voids it
   * and passes it (a late write to a voided seq is retried under a new seq).
   */
  CHAT_GAP_WINDOW_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),

  /** Test hook (honoured only with NODE_ENV=test): the process SIGSTOPs itself once this many message seqs are claimed and unwritten. */
  TEST_STOP_AFTER_CLAIMS: positiveInt.optional(),
  /** Test hook (honoured only with NODE_ENV=test): the process SIGKILLs itself after storing a message, before pushing it. */
  TEST_CRASH_AFTER_STORE: bool.optional(),

  /** How long an invite rings before the server makes it missed (a delayed job per call). */
  CALL_RING_TIMEOUT_MS: z.coerce.number().int().min(1000).max(10 * 60_000).default(45_000),
  /** Participants of a call, caller included (mesh signalling: every party talks to every other). */
  CALL_MAX_PARTICIPANTS: z.coerce.number().int().min(2).max(32).default(8),
  /** Two invites in one conversation this close together are glare: one call survives (the lesser call id). */
  CALL_GLARE_WINDOW_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  /** A joined party none of whose gateways vouched for it this long is dropped (its devices vanished). */
  CALL_PARTY_GRACE_MS: z.coerce.number().int().min(1000).max(10 * 60_000).default(30_000),
  /** Calls under way longer than this are ended by the sweep. */
  CALL_MAX_DURATION_MS: z.coerce.number().int().min(60_000).default(24 * 3600_000),
  /** call:signal messages one device may send per call per 10 seconds (ICE candidates come in bursts). */
  CALL_SIGNAL_LIMIT: positiveInt.default(400),
  /** STUN servers handed to clients (comma list of stun: URLs). */
  STUN_URLS: csv.default([]),
  /** TURN servers handed to clients with time-limited credentials (comma list of turn:/turns: URLs). */
  TURN_URLS: csv.default([]),
  /** The shared secret of the TURN REST API scheme (coturn's static-auth-secret). */
  TURN_SECRET: z.string().min(16).default(DEFAULT_TURN_SECRET),
  /** How long TURN credentials stay valid. */
  TURN_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 86_400).default(86_400),

  /** Queues a worker process runs ("all" or a comma list of queue names). */
  WORKER_QUEUES: workerQueues.default(["all"]),
  /** How long a worker's lock on a job lasts; a crashed worker's job is retried after it. */
  WORKER_LOCK_MS: z.coerce.number().int().min(1000).default(30_000),
  /** Apply the cron-like job schedules when a worker starts. */
  WORKER_SCHEDULES: bool.default(true),
  /** An outbox entry older than this is presumed abandoned by its process and re-dispatched by the sweep. */
  OUTBOX_STALE_MS: z.coerce.number().int().min(100).default(10_000),
  /** How often the outbox sweep runs (a scheduled job on the events queue). */
  OUTBOX_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  /** Test hook (NODE_ENV=test only): record outbox entries but never dispatch them, as if the process died right after its writes. */
  OUTBOX_TEST_HOLD: bool.default(false),
  /** Object storage of media: "local" (files under MEDIA_LOCAL_DIR, served by the API) or "s3". */
  MEDIA_STORAGE: z.enum(["local", "s3"]).default("local"),
  MEDIA_LOCAL_DIR: z.string().min(1).default(".data/objects"),
  /** Base of stable URLs of public media (avatars, public posts); unset: `${PUBLIC_URL}/media` (the API serves them). */
  MEDIA_PUBLIC_URL: z.url().optional(),
  /** HMAC key of signed local-storage URLs; unset: derived from JWT_SECRET. */
  MEDIA_SIGNING_SECRET: z.string().min(32).optional(),
  /** Lifetime of a signed upload URL and of a pending upload (then it expires). */
  MEDIA_UPLOAD_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(3600),
  /** Lifetime of a signed download URL of private media (chat attachments). */
  MEDIA_DOWNLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(10).max(7 * 24 * 3600).default(300),
  /** How long media stays stored after the last message/post/account using it was deleted. */
  MEDIA_RELEASE_RETENTION_SECONDS: z.coerce.number().int().min(0).default(7 * 24 * 3600),
  MEDIA_MAX_IMAGE_BYTES: positiveInt.default(25 * 1024 * 1024),
  MEDIA_MAX_AUDIO_BYTES: positiveInt.default(100 * 1024 * 1024),
  MEDIA_MAX_VIDEO_BYTES: positiveInt.default(4 * 1024 * 1024 * 1024),
  MEDIA_MAX_FILE_BYTES: positiveInt.default(100 * 1024 * 1024),
  /** Largest decoded image (width x height); bigger ones are refused before decoding (decompression bombs). */
  MEDIA_MAX_IMAGE_PIXELS: positiveInt.default(50_000_000),
  /** Uploads at least this large must use the resumable (tus) endpoint. */
  MEDIA_RESUMABLE_THRESHOLD_BYTES: positiveInt.default(64 * 1024 * 1024),
  /** Public copies (`MediaService.publish`) up to this size are made inline; larger ones by the durable `media.publish` job. */
  MEDIA_PUBLISH_INLINE_MAX_BYTES: positiveInt.default(64 * 1024 * 1024),
  S3_ENDPOINT: z.url().optional(),
  /** Endpoint named in presigned URLs when clients reach the bucket at another address than the servers do. */
  S3_PRESIGN_ENDPOINT: z.url().optional(),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/).default("chatwave-media"),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Path-style bucket URLs (MinIO, s3rver); AWS wants virtual-hosted style (false). */
  S3_FORCE_PATH_STYLE: bool.default(false),
  FFMPEG_PATH: z.string().min(1).default("ffmpeg"),
  FFPROBE_PATH: z.string().min(1).default("ffprobe"),
  /** x264 preset of the HLS ladder encode (ultrafast … veryslow): speed against size. */
  VIDEO_TRANSCODE_PRESET: z.enum(["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]).default("veryfast"),
  /** Encoder threads per rendition (0: ffmpeg decides from the core count). */
  VIDEO_TRANSCODE_THREADS: z.coerce.number().int().min(0).max(64).default(0),
  /** A transcode running longer than this is stopped and the video fails with a reason. */
  VIDEO_TRANSCODE_TIMEOUT_MS: z.coerce.number().int().min(5_000).max(4 * 3600_000 - 60_000).default(60 * 60_000),
  /** Local scratch directory for sources and outputs while a job runs (default: the OS temp directory). */
  VIDEO_WORK_DIR: z.string().min(1).optional(),
  /** Largest accepted frame side of a source, pixels. */
  VIDEO_MAX_DIMENSION: z.coerce.number().int().min(320).max(16384).default(4096),
  /** Longest accepted long-form video, seconds (shorts: 15-60 s). */
  VIDEO_MAX_DURATION_SECONDS: z.coerce.number().int().min(60).default(3 * 3600),
  /** Lifetime of signed playback URLs of private and unlisted videos. */
  VIDEO_URL_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(6 * 3600),
  /** A video processing without progress this long, whose job is gone, is failed by the sweep. */
  VIDEO_STALE_MS: z.coerce.number().int().min(10_000).default(15 * 60_000),
  /** How often the uploader's devices get `video:progress` while a job runs (at most 1000). */
  VIDEO_PROGRESS_INTERVAL_MS: z.coerce.number().int().min(100).max(1000).default(1000),

  /** Entries a home timeline keeps in Redis (older posts are read from the authors' timelines). */
  FEED_TIMELINE_MAX: z.coerce.number().int().min(50).max(5000).default(800),
  /** A home timeline not read for this long expires; the next read rebuilds it. */
  FEED_TIMELINE_TTL_SECONDS: positiveInt.default(14 * 24 * 3600),
  /** Followers per fan-out job. */
  FEED_FANOUT_BATCH: z.coerce.number().int().min(10).max(10_000).default(1000),
  /** Authors with at least this many followers are merged into feeds at read time instead of fanned out. */
  FEED_BIG_AUTHOR_FOLLOWERS: positiveInt.default(50_000),
  /** Posts a missing or expired timeline is rebuilt with. */
  FEED_REBUILD_POSTS: z.coerce.number().int().min(20).max(5000).default(400),
  /** Distinct accounts a hashtag needs in a day before it can trend. */
  TRENDS_MIN_ACCOUNTS: positiveInt.default(3),
  /** Half-life of a hashtag's peak trend score, in minutes. */
  TRENDS_HALF_LIFE_MINUTES: positiveInt.default(120),
  /** How often the scheduled job recomputes trending hashtags. */
  TRENDS_REFRESH_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
  /** Web Push application server keys (`npx web-push generate-vapid-keys`); unset: pushes go to the development outbox. */
  VAPID_PUBLIC_KEY: z.string().regex(/^[A-Za-z0-9_-]{80,100}$/, "a base64url P-256 public key").optional(),
  VAPID_PRIVATE_KEY: z.string().regex(/^[A-Za-z0-9_-]{40,50}$/, "a base64url P-256 private key").optional(),
  /** Contact for push services (VAPID `sub`): a mailto: or https: URL. */
  VAPID_SUBJECT: z.string().regex(/^(mailto:|https:\/\/)/, "a mailto: or https: URL").default("mailto:ops@localhost"),
  /** Similar notifications (likes of one post, new followers) fold into one group within this window. */
  NOTIFICATION_GROUP_WINDOW_MS: positiveInt.default(24 * 3600 * 1000),
  /** How long a notification lives (TTL index), in days. */
  NOTIFICATION_TTL_DAYS: z.coerce.number().int().min(1).max(3650).default(90),

  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().min(3).default("ChatWave <no-reply@localhost>"),
});

export type Config = Readonly<z.infer<typeof envSchema>>;

/** Thrown with every invalid variable listed, so an operator fixes them in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parses the environment into one frozen, typed config. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "(env)"}: ${issue.message}`),
    );
  }
  const config = parsed.data;
  if (config.NODE_ENV === "production") {
    const problems: string[] = [];
    if (config.JWT_SECRET === DEFAULT_JWT_SECRET) {
      problems.push("JWT_SECRET: the default secret cannot be used in production");
    }
    if (!config.MONGO_URL) {
      problems.push("MONGO_URL: required in production (the embedded server is for development)");
    }
    if (config.TURN_URLS.length > 0 && config.TURN_SECRET === DEFAULT_TURN_SECRET) {
      problems.push("TURN_SECRET: the default secret cannot be used in production");
    }
    if (config.CORS_ORIGINS.includes("*")) {
      problems.push("CORS_ORIGINS: '*' is not allowed in production");
    }
    if (problems.length > 0) throw new ConfigError(problems);
  }
  if (config.OUTBOX_TEST_HOLD && config.NODE_ENV !== "test") throw new ConfigError(["OUTBOX_TEST_HOLD: only allowed with NODE_ENV=test"]);
  return Object.freeze(config);
}
