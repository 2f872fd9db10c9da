import { Long } from 'bson';
import type { Doc } from '../bson-order.js';
import type { CommandHandler } from '../server-context.js';

/** Wire version 21 is MongoDB 7.0. */
const MAX_WIRE_VERSION = 21;

const hello: CommandHandler = (ctx, req) => {
  const reply: Doc = {
    isWritablePrimary: true,
    topologyVersion: undefined,
    maxBsonObjectSize: 16777216,
    maxMessageSizeBytes: 48000000,
    maxWriteBatchSize: 100000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: req.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
  };
  delete reply.topologyVersion;
  if (!('hello' in req.cmd)) {
    reply.ismaster = true;
    if (req.cmd.helloOk) reply.helloOk = true;
  }
  return reply;
};

const buildInfo: CommandHandler = () => ({
  version: '7.0.0',
  gitVersion: 'embedded',
  versionArray: [7, 0, 0, 0],
  bits: 64,
  debug: false,
  maxBsonObjectSize: 16777216,
  storageEngines: ['embedded'],
  modules: [],
  javascriptEngine: 'none',
});

const listDatabases: CommandHandler = (ctx, req) => {
  const databases = ctx.catalog.databaseNames().map((name) => ({ name, sizeOnDisk: 0, empty: false }));
  if (req.cmd.nameOnly) return { databases: databases.map(({ name }) => ({ name })) };
  return { databases, totalSize: 0, totalSizeMb: 0 };
};

const getParameter: CommandHandler = (ctx, req) => {
  const reply: Doc = {};
  if (req.cmd.notablescan !== undefined || req.cmd.getParameter === '*') reply.notablescan = ctx.notablescan;
  return reply;
};

/** Handshake, diagnostics and session commands. */
export const ADMIN_HANDLERS: Record<string, CommandHandler> = {
  hello,
  isMaster: hello,
  ismaster: hello,
  ping: () => ({}),
  buildInfo,
  buildinfo: buildInfo,
  listDatabases,
  getParameter,
  endSessions: () => ({}),
  killAllSessions: () => ({}),
  refreshSessions: () => ({}),
  whatsmyuri: () => ({ you: '127.0.0.1' }),
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] } }),
  hostInfo: () => ({ system: { currentTime: new Date(), hostname: 'embedded' } }),
  serverStatus: (ctx) => {
    let sharded = 0;
    for (const coll of ctx.catalog.allCollections()) if (coll.shardKey) sharded++;
    return {
      host: 'embedded', version: '7.0.0', process: 'mongod', uptime: 0, localTime: new Date(),
      metrics: { cursor: { open: { total: Long.fromNumber(ctx.cursors.size) } } },
      embeddedSharding: ctx.sharding.report(sharded),
    };
  },
  getLog: () => ({ totalLinesWritten: 0, log: [] }),
};
