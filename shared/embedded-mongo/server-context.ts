import type { Doc } from './bson-order.js';
import type { CursorRegistry } from './cursor-registry.js';
import type { DatabaseCatalog } from './database-catalog.js';
import type { ShardingState } from './shard-keys.js';

/** State shared by every connection of one server. */
export interface ServerContext {
  readonly catalog: DatabaseCatalog;
  readonly cursors: CursorRegistry;
  /** Refuse queries no index can serve (MongoDB's `notablescan` parameter). */
  readonly notablescan: boolean;
  /** Shard keys' mode and routing counters (see shard-keys.ts). */
  readonly sharding: ShardingState;
  readonly log: (msg: string) => void;
  readonly port: () => number;
}

/** One command as received: its database, body and the connection it came on. */
export interface CommandRequest {
  readonly db: string;
  readonly cmd: Doc;
  readonly connectionId: number;
}

/** A command implementation: runs synchronously and returns the reply (without `ok`). */
export type CommandHandler = (ctx: ServerContext, req: CommandRequest) => Doc;
