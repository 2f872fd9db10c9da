/**
 * Profiling aid for the embedded server's insert path: 1,000-document
 * insertMany batches of real notification documents into the real
 * `notifications` collection (validator and indexes applied by the migrate
 * code), against the same documents into an unindexed collection.
 * `BENCH_BATCHES` (default 30). Run with `node --cpu-prof --import tsx`.
 */
import { createHash } from "node:crypto";
import { MongoClient } from "mongodb";
import { applyCollectionSpecs } from "../../shared/db/mongo-collections.js";
import { startEmbeddedMongo } from "../../shared/embedded-mongo/index.js";
import { createLogger } from "../../shared/logging/logger.js";
import { fanOutDoc } from "../../shared/notifications/fan-out-doc.js";
import { notificationCollections } from "../../shared/notifications/notification.collections.js";

const BATCHES = Number(process.env.BENCH_BATCHES ?? 30);
const server = await startEmbeddedMongo({ port: 0, log: () => undefined });
const client = await new MongoClient(server.uri).connect();
const db = client.db("insert_profile");
await applyCollectionSpecs(db, notificationCollections, createLogger({ LOG_LEVEL: "error" } as never));
const at = new Date();
const batch = (n: number) =>
  Array.from({ length: 1000 }, (_, i) =>
    fanOutDoc(createHash("sha1").update(`${n}-${i}`).digest("hex"), {
      type: "system",
      target: { kind: "announcement", id: `a${n}` },
      actorId: "system",
      data: { title: "Maintenance", body: "Tonight" },
      link: { route: "announcement", params: { announcementId: `a${n}` } },
      at,
      expiresAt: new Date(at.getTime() + 86_400_000),
    }),
  );
const time = async (name: string, run: (n: number) => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let n = 0; n < BATCHES; n++) await run(n);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  // On a loaded machine wall time wanders; CPU time (client and server share this process) is steadier.
  console.log(`${name}: ${(ms / BATCHES).toFixed(1)} ms wall, ${(cpuMs / BATCHES).toFixed(1)} ms CPU per 1,000`);
  return cpuMs;
};
const plain = await time("unindexed collection", (n) => db.collection<{ _id: string }>("plain").insertMany(batch(n), { ordered: false }));
const real = await time("notifications (validator + 6 indexes)", (n) => db.collection<{ _id: string }>("notifications").insertMany(batch(n + BATCHES), { ordered: false }));
console.log(`ratio (CPU) ${(real / plain).toFixed(2)}`);
await client.close();
await server.stop();
