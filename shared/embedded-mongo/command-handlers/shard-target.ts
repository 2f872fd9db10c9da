import type { Doc } from '../bson-order.js';
import type { CollectionStore } from '../collection-store.js';
import type { ServerContext } from '../server-context.js';

/**
 * Checks that an operation on a sharded collection targets its shard key (see
 * ShardingState.checkFilter); a no-op for unsharded or missing collections.
 */
export function checkShardTarget(ctx: ServerContext, coll: CollectionStore | undefined, op: string, filter: Doc, comment: unknown, exact = false): void {
  if (!coll?.shardKey) return;
  ctx.sharding.checkFilter(coll.ns, coll.shardKey, op, filter, comment, exact);
}
