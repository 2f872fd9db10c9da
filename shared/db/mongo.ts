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
 */
export async function connectMongo(url: string, dbName: string, logger: Logger, slowMs: number): Promise<MongoHandle> {
  const client = new MongoClient(url, {
    monitorCommands: true,
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
