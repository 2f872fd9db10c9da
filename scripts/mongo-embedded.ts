/**
 * Runs the embedded MongoDB-compatible server (development and tests only).
 *   npm run mongo:embedded -- --port 27017 [--host 127.0.0.1] [--no-notablescan] [--shard-strict]
 * --shard-strict (or MONGO_EMBEDDED_SHARD_STRICT=1) refuses operations on sharded collections
 * that do not target the shard key (docs/embedded-mongo.md, "Shard-key mode").
 * Prints the connection string once it accepts connections; SIGINT/SIGTERM stop it.
 */
import { parseArgs } from 'node:util';
import { startEmbeddedMongo } from '../shared/embedded-mongo/index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '27017' },
    host: { type: 'string', default: '127.0.0.1' },
    'no-notablescan': { type: 'boolean', default: false },
    'ttl-sweep-ms': { type: 'string', default: '60000' },
    'shard-strict': { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port ${values.port}`);
  process.exit(2);
}

const server = await startEmbeddedMongo({
  port,
  host: values.host,
  notablescan: !values['no-notablescan'],
  ttlSweepIntervalMs: Number(values['ttl-sweep-ms']),
  shardKeyMode: values['shard-strict'] || process.env.MONGO_EMBEDDED_SHARD_STRICT === '1' ? 'strict' : 'off',
});
console.log(server.uri);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.error(`[embedded-mongo] ${signal} received, stopping`);
  void server.stop().then(() => process.exit(0));
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
