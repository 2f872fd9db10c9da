import { z } from "zod";
import { defineJob, KEEP_FINISHED } from "../queues/job-definition.js";

/**
 * One batch of an announcement: up to 1,000 recipients after `afterUserId`,
 * written with one insert; the next batch is its own job. Deterministic ids
 * (job and notifications) make a retried batch write nothing twice.
 */
export const announceBatchJob = defineJob({
  name: "notifications.announce",
  queue: "notifications",
  schema: z.strictObject({
    announcementId: z.uuid(),
    title: z.string().min(1).max(120),
    body: z.string().min(1).max(2000),
    role: z.string().regex(/^[a-z0-9_]{1,50}$/).nullable(),
    afterUserId: z.uuid().nullable(),
    at: z.iso.datetime(),
  }),
  attempts: 5,
  backoff: { type: "exponential", delay: 1_000 },
  timeoutMs: 60_000,
  jobId: ({ announcementId, afterUserId }) => `announce-${announcementId}-${afterUserId ?? "first"}`,
  keep: KEEP_FINISHED,
});

/**
 * One batch of a new post or video told to the author's followers who asked
 * for it: up to 1,000 subscribers after `afterUserId`, one insert, then the
 * next batch as its own job (deterministic ids, as for announcements).
 */
export const followerFanOutJob = defineJob({
  name: "notifications.follower-fanout",
  queue: "notifications",
  schema: z.strictObject({
    kind: z.enum(["post", "video"]),
    sourceId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    authorId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    afterUserId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).nullable(),
    at: z.iso.datetime(),
  }),
  attempts: 5,
  backoff: { type: "exponential", delay: 1_000 },
  timeoutMs: 60_000,
  jobId: ({ kind, sourceId, afterUserId }) => `fanout-${kind}-${sourceId}-${afterUserId ?? "first"}`,
  keep: KEEP_FINISHED,
});

/**
 * The daily e-mail digest, a page of up to 1,000 users per job. The scheduler's
 * run has no period (it takes today's, UTC) and starts at the first user; each
 * page queues the next with a deterministic id.
 */
export const emailDigestJob = defineJob({
  name: "notifications.email-digest",
  queue: "notifications",
  schema: z.strictObject({
    period: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
    afterUserId: z.uuid().optional(),
  }),
  attempts: 5,
  backoff: { type: "exponential", delay: 30_000 },
  timeoutMs: 5 * 60_000,
  jobId: ({ period, afterUserId }) => (period && afterUserId ? `digest-${period}-${afterUserId}` : ""),
  keep: KEEP_FINISHED,
});
