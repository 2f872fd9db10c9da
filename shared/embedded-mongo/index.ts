/** Embedded MongoDB-compatible server for development and tests (never production). */
export { startEmbeddedMongo, type EmbeddedMongo, type EmbeddedMongoOptions } from './embedded-server.js';
export { SCATTER_GATHER_PREFIX, type ShardKeyMode } from './shard-keys.js';
