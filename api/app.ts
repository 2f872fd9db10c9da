import { randomUUID } from "node:crypto";
import express, { type Express } from "express";
import { pinoHttp } from "pino-http";
import { createOpsHandler } from "../shared/http/ops-handler.js";
import { metrics } from "../shared/metrics/metrics.js";
import type { Platform } from "../shared/runtime/platform.js";
import { checkReadiness } from "../shared/runtime/readiness.js";
import type { Services } from "../shared/runtime/services.js";
import { clientAddress } from "./middleware/client-address.js";
import { errorHandler, notFoundHandler } from "./middleware/error-handler.js";
import { mountRoutes, type RouteKit } from "./http/mount-routes.js";
import { openApiDocument, type RouteTree } from "./http/openapi.js";
import { defineRoute, type RouteGroup } from "./http/route.js";
import { apiRouteGroups } from "./routes/index.js";
import { mediaFilesRouteGroup } from "./routes/media-files.routes.js";
import { LocalObjectStorage } from "../shared/storage/local-storage.js";
import { LOCAL_MEDIA_PATH, mediaSigningSecret } from "../shared/storage/storage-factory.js";
import { UrlSigner } from "../shared/storage/url-signature.js";

export interface ApiDeps {
  platform: Platform;
  services: Services;
}

/** `GET /api/openapi.json`: the document generated from the declared routes (itself included). */
function docsRoutes(document: () => object): RouteGroup {
  return {
    prefix: "",
    tag: "meta",
    routes: [
      defineRoute({ method: "get", path: "/openapi.json", summary: "This API's OpenAPI 3.1 document", auth: "none", rate: "read", handler: () => document() }),
    ],
  };
}

const REQUEST_ID = /^[A-Za-z0-9-]{8,64}$/;

/** Builds the Express app from its dependencies; `main.ts` only listens. */
export function createApp(deps: ApiDeps): Express {
  const { platform } = deps;
  const app = express();
  app.disable("x-powered-by");
  // Who may set X-Forwarded-For is configured (TRUST_PROXY, none by default); a malformed value is ignored.
  app.set("trust proxy", platform.config.TRUST_PROXY);
  app.use(clientAddress);

  const ops = createOpsHandler(() => checkReadiness(platform), "api");
  app.use((req, res, next) => {
    if (!ops(req, res)) next();
  });

  app.use(
    pinoHttp({
      logger: platform.logger,
      genReqId: (req, res) => {
        const incoming = req.headers["x-request-id"];
        const id = typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader("x-request-id", id);
        return id;
      },
      // A client error is the client's: logged like any answered request, not as a warning.
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? "error" : "info"),
    }),
  );
  app.use((req, res, next) => {
    const end = metrics.httpRequests.startTimer({ method: req.method });
    res.on("finish", () => end({ route: req.route?.path ?? "unmatched", status: String(res.statusCode) }));
    next();
  });
  app.use((req, res, next) => {
    const origin = req.headers.origin;
    const allowed = platform.config.CORS_ORIGINS;
    if (origin && (allowed.includes("*") || allowed.includes(origin))) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("vary", "origin");
      // Range/If-None-Match for media downloads, the tus headers for resumable uploads.
      res.setHeader("access-control-allow-headers", "authorization, content-type, x-request-id, range, if-none-match, tus-resumable, upload-length, upload-metadata, upload-offset, upload-defer-length");
      res.setHeader("access-control-allow-methods", "GET, HEAD, POST, PATCH, PUT, DELETE");
      res.setHeader("access-control-expose-headers", "etag, content-range, location, upload-offset, upload-length, tus-resumable, x-request-id");
      res.setHeader("access-control-max-age", "600");
      if (req.method === "OPTIONS") return void res.status(204).end();
    }
    next();
  });
  app.use(express.json({ limit: "256kb", strict: true }));

  const kit: RouteKit = { accessGuard: deps.services.accessGuard, rateLimiter: deps.services.rateLimiter, roles: deps.services.admin };
  const trees: RouteTree[] = [{ base: "/api", groups: [...apiRouteGroups(deps), docsRoutes(() => document)] }];
  if (deps.services.storage instanceof LocalObjectStorage) {
    // The local storage adapter's signed URLs point here (S3 serves its own).
    const { media } = deps.services;
    const files = mediaFilesRouteGroup(deps.services.storage, new UrlSigner(mediaSigningSecret(platform.config)), {
      beforePut: (key) => media.beforeSignedPut(key),
      afterPut: (key) => media.afterSignedPut(key),
    });
    trees.push({ base: LOCAL_MEDIA_PATH, groups: [files] });
  }
  const document = openApiDocument(trees, { title: "ChatWave API", version: "1.0.0" });
  for (const tree of trees) mountRoutes(app, tree.base, tree.groups, kit);
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
