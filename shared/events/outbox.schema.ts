/**
 * The outbox marker: documents that announce events carry them in this field,
 * written by the same command as the domain change and cleared once the event
 * is enqueued. Collections list it in their `$jsonSchema` and declare the
 * sparse index the sweep uses to find entries left behind by a dead process.
 */
export const OUTBOX_FIELD = "outbox";

/**
 * `$jsonSchema` property for the outbox array. The bound is a sanity limit, not a
 * working size: a hot document (a post taking hundreds of reactions a second)
 * holds one entry per write until the dispatcher clears it, and a write refused
 * here would fail the user's action. 1,024 entries of ~250 bytes stay far below
 * MongoDB's 16 MB document limit.
 */
export const outboxProperty = {
  bsonType: "array",
  maxItems: 1024,
  items: {
    bsonType: "object",
    required: ["id", "name", "payload", "at"],
    properties: {
      id: { bsonType: "string" },
      name: { bsonType: "string" },
      payload: { bsonType: "object" },
      at: { bsonType: "date" },
    },
  },
} as const;

/** The index the stale-outbox sweep reads (`{ "outbox.at": { $lt: cutoff } }`). */
export const outboxIndex = { key: { "outbox.at": 1 }, name: "outbox_at", sparse: true } as const;
