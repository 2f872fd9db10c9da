import { MongoClient, type Db } from "mongodb";
import type { Logger } from "../logging/logger.js";
import { metrics } from "../metrics/metrics.js";

export type { Db } from "mongodb";

export interface MongoHandle {
  client: MongoClient;
  db: Db;
}

/**
 * Connects the official driver with command monitoring: every command is
 * counted, and those slower than `slowMs` are logged with their name and duration.
 * Replies are not re-validated as UTF-8 character by character
 * (`enableUtf8Validation: false`): every string the server holds came through
 * the driver from JavaScript strings, so it is valid UTF-8, and the check was
 * the largest single cost of reading pages of messages (a sync answer).
 */
export async function connectMongo(url: string, dbName: string, logger: Logger, slowMs: number): Promise<MongoHandle> {
  const client = new MongoClient(url, {
    monitorCommands: true,
    enableUtf8Validation: false,
    serverSelectionTimeoutMS: 5_000,
    maxPoolSize: 50,
    appName: "chatwave",
  });
  client.on("commandSucceeded", (event) => {
    metrics.mongoCommands.inc({ command: event.commandName, outcome: "ok" });
    if (event.duration > slowMs) {
      logger.warn({ command: event.commandName, durationMs: event.duration, db: event.databaseName }, "slow MongoDB command");
    }
  });
  client.on("commandFailed", (event) => {
    metrics.mongoCommands.inc({ command: event.commandName, outcome: "error" });
    if (event.duration > slowMs) {
      logger.warn({ command: event.commandName, durationMs: event.duration }, "slow failed MongoDB command");
    }
  });
  await client.connect();
  return { client, db: client.db(dbName) };
}
