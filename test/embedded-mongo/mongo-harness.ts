import { randomBytes } from 'node:crypto';
import { MongoClient, type Collection, type Db, type Document, type UpdateFilter } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo, type EmbeddedMongoOptions } from '../../shared/embedded-mongo/index.js';

/**
 * True when the suite runs against its own embedded server (no MONGO_URL). Checks that need
 * embedded-only behaviour (notablescan on by default, a fast TTL sweep) are registered only then.
 */
export const usingEmbedded = !process.env.MONGO_URL;

/** Any document, any `_id` (conformance tests store every kind of value). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDoc = any;

/** A connected client and a database unique to this run and suite. */
export interface MongoHarness {
  uri: string;
  client: MongoClient;
  db: Db;
  /** A collection typed loosely, so tests can use any `_id` type. */
  coll(name: string): Collection<AnyDoc>;
  /** Opens another client on the same server (for concurrency checks). */
  newClient(): Promise<MongoClient>;
}

/**
 * Registers before/after hooks that connect to MONGO_URL or start an embedded server,
 * and drop the suite's database afterwards. Returns an object filled in by `before`.
 * `options` apply to the embedded server only.
 */
export function useMongo(suite: string, options: EmbeddedMongoOptions = {}): MongoHarness {
  const h = {} as MongoHarness;
  let server: EmbeddedMongo | undefined;
  const extra: MongoClient[] = [];
  before(async function () {
    this.timeout(60_000);
    if (usingEmbedded) server = await startEmbeddedMongo({ port: 0, ttlSweepIntervalMs: 200, log: () => undefined, ...options });
    h.uri = process.env.MONGO_URL ?? (server as EmbeddedMongo).uri;
    h.client = await new MongoClient(h.uri).connect();
    h.db = h.client.db(`emtest_${suite}_${randomBytes(4).toString('hex')}`);
    h.coll = (name) => h.db.collection<AnyDoc>(name);
    h.newClient = async () => {
      const c = await new MongoClient(h.uri).connect();
      extra.push(c);
      return c;
    };
  });
  after(async function () {
    this.timeout(60_000);
    await h.db?.dropDatabase().catch(() => undefined);
    await Promise.all(extra.map((c) => c.close()));
    await h.client?.close();
    await server?.stop();
  });
  return h;
}

/** Runs `fn` and returns the error it throws; fails when it does not throw. */
export async function rejection(fn: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await fn();
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

/** An update document as the server sees it (the driver's typings cannot describe every operator form). */
export const upd = (update: Document): UpdateFilter<AnyDoc> => update as UpdateFilter<AnyDoc>;
