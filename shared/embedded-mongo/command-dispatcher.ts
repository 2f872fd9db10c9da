import type { Doc } from './bson-order.js';
import { ADMIN_HANDLERS } from './command-handlers/admin-handlers.js';
import { AGGREGATE_HANDLERS } from './command-handlers/aggregate-handler.js';
import { DDL_HANDLERS } from './command-handlers/ddl-handlers.js';
import { FIND_AND_MODIFY_HANDLERS } from './command-handlers/find-and-modify-handler.js';
import { READ_HANDLERS } from './command-handlers/read-handlers.js';
import { SHARDING_HANDLERS } from './command-handlers/sharding-handlers.js';
import { WRITE_HANDLERS } from './command-handlers/write-handlers.js';
import { MongoServerError } from './mongo-error.js';
import { asServerError } from './query-matcher.js';
import type { CommandHandler, CommandRequest, ServerContext } from './server-context.js';

const HANDLERS: Record<string, CommandHandler> = {
  ...ADMIN_HANDLERS,
  ...DDL_HANDLERS,
  ...READ_HANDLERS,
  ...WRITE_HANDLERS,
  ...FIND_AND_MODIFY_HANDLERS,
  ...AGGREGATE_HANDLERS,
  ...SHARDING_HANDLERS,
};

/** Commands that only make sense inside a transaction. */
const TRANSACTION_COMMANDS = new Set(['commitTransaction', 'abortTransaction']);

function refuseTransactions(cmd: Doc, name: string): void {
  // A standalone mongod refuses transaction numbers outright (retryable writes included).
  if (cmd.txnNumber !== undefined || cmd.startTransaction !== undefined || cmd.autocommit !== undefined || TRANSACTION_COMMANDS.has(name)) {
    throw new MongoServerError('IllegalOperation', 'Transaction numbers are only allowed on a replica set member or mongos');
  }
}

/**
 * Runs one command synchronously and returns its reply, `ok: 1` on success or
 * `{ok: 0, errmsg, code, codeName}` on failure — never throws.
 */
export function dispatchCommand(ctx: ServerContext, req: CommandRequest): Doc {
  const name = Object.keys(req.cmd)[0] ?? '';
  try {
    refuseTransactions(req.cmd, name);
    const handler = Object.hasOwn(HANDLERS, name) ? HANDLERS[name] : undefined;
    if (!handler) throw new MongoServerError('CommandNotFound', `no such command: '${name}'`);
    return { ...handler(ctx, req), ok: 1 };
  } catch (err) {
    const e = asServerError(err);
    if (!(err instanceof MongoServerError)) ctx.log(`command ${name} failed: ${err instanceof Error ? err.stack : String(err)}`);
    return { ok: 0, ...e.toReply() };
  }
}
