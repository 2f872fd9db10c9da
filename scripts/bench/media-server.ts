/**
 * The process `bench:media` measures: the API's `/media` route over the local
 * storage adapter, on a free port. Answers "rss" messages with its idle and
 * peak resident set size (sampled every 10 ms).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { errorHandler } from "../../api/middleware/error-handler.js";
import { mediaFilesRoutes } from "../../api/routes/media-files.routes.js";
import { LocalObjectStorage } from "../../shared/storage/local-storage.js";
import { UrlSigner } from "../../shared/storage/url-signature.js";

const dir = process.argv[2]!;
const secret = process.argv[3]!;
const signer = new UrlSigner(secret);
const app = express();
const server = http.createServer(app);
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const storage = new LocalObjectStorage(dir, { signer, baseUrl: `${base}/media`, publicBaseUrl: `${base}/media` });
app.use((req, _res, next) => {
  (req as unknown as { log: unknown }).log = { error: (...args: unknown[]) => console.error(...args) };
  next();
});
app.use("/media", mediaFilesRoutes(storage, signer));
app.use(errorHandler);

let peak = 0;
setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10).unref();
process.on("message", (message: { type: string }) => {
  if (message.type === "rss") {
    const rss = process.memoryUsage().rss;
    process.send!({ type: "rss", rss, peak });
  }
  if (message.type === "reset") {
    peak = process.memoryUsage().rss;
    process.send!({ type: "reset", rss: peak });
  }
  if (message.type === "stop") server.close(() => process.exit(0));
});
process.send!({ type: "ready", base });
