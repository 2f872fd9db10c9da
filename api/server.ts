import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Platform } from "../shared/runtime/platform.js";
import type { Services } from "../shared/runtime/services.js";
import { createApp } from "./app.js";

export interface ApiServer {
  port: number;
  close(): Promise<void>;
}

/** Listens with the API app; close stops accepting and waits for in-flight requests. */
export async function startApi(platform: Platform, services: Services, port: number): Promise<ApiServer> {
  const server = http.createServer(createApp({ platform, services }));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(port, platform.config.HOST, resolve));
  const actualPort = (server.address() as AddressInfo).port;
  platform.logger.info({ port: actualPort }, "api listening");
  return {
    port: actualPort,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
