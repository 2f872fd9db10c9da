import type { IncomingMessage, ServerResponse } from "node:http";
import { Router } from "express";
import { Server as TusServer } from "@tus/server";
import type { AccessClaims } from "../../shared/auth/access-token.js";
import { AppError, toErrorBody } from "../../shared/errors/app-error.js";
import { TUS_PATH } from "../../shared/media/media.module.js";
import { createUploadSchema, uploadRefSchema } from "../../shared/media/media.schema.js";
import { createTusStore } from "../../shared/media/tus-store.js";
import { RedisTusLocker } from "../../shared/media/tus-redis-locker.js";
import { parseInput } from "../../shared/validation/parse.js";
import type { ApiDeps } from "../app.js";
import { actor, authenticate } from "../middleware/authenticate.js";
import { rateLimit } from "../middleware/rate-limit.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The srvx request tus hands its hooks keeps the Node request/response it wraps. */
interface TusRequest {
  headers: Headers;
  runtime?: { node?: { req: IncomingMessage; res: ServerResponse & { locals?: { auth?: AccessClaims } } } };
}

function tusActor(req: TusRequest): string {
  const userId = req.runtime?.node?.res.locals?.auth?.userId;
  if (!userId) throw new AppError("UNAUTHENTICATED", "A bearer access token is required");
  return userId;
}

/** tus hooks reject by throwing `{ status_code, body }`; the body is our usual error JSON. */
function asTusError(error: unknown): { status_code: number; body: string } {
  if (error && typeof error === "object" && "status_code" in error) return error as { status_code: number; body: string };
  const status = error instanceof AppError ? error.status : 500;
  return { status_code: status, body: JSON.stringify({ error: toErrorBody(error) }) };
}

const uploadIdOfTusId = (id: string): string => id.replace(/^tus\//, "");

/**
 * /api/media: upload targets (signed PUT or tus), completion, status, and the
 * resumable endpoint (tus 1.0 at /api/media/tus, bearer-authenticated, each
 * tus upload bound to an upload created here by its owner, locked in Redis).
 */
export function mediaRoutes({ platform, services }: ApiDeps): Router {
  const router = Router();
  const { media } = services;
  router.use(authenticate(services.accessGuard));
  const read = rateLimit(services.rateLimiter, "read");
  const write = rateLimit(services.rateLimiter, "write");
  const me = (res: Parameters<typeof actor>[0]) => actor(res).userId;

  router.post("/uploads", write, async (req, res) => {
    res.status(201).json(await media.createUpload(me(res), parseInput(createUploadSchema, req.body, "upload")));
  });

  router.get("/uploads/:uploadId", read, async (req, res) => {
    const { uploadId } = parseInput(uploadRefSchema, { uploadId: req.params.uploadId }, "path");
    res.json({ upload: await media.get(me(res), uploadId) });
  });

  router.post("/uploads/:uploadId/complete", write, async (req, res) => {
    const { uploadId } = parseInput(uploadRefSchema, { uploadId: req.params.uploadId }, "path");
    res.json({ upload: await media.complete(me(res), uploadId) });
  });

  const tus = new TusServer({
    path: TUS_PATH,
    datastore: createTusStore(services.storage),
    // Several API replicas may serve one upload: its requests are serialised through Redis.
    locker: new RedisTusLocker(platform.redis, platform.logger.child({ domain: "media" })),
    maxSize: services.media.maxResumableBytes,
    respectForwardedHeaders: false,
    generateUrl: (_req, { proto, host, path, id }) => `${proto}://${host}${path}/${uploadIdOfTusId(id)}`,
    getFileIdFromRequest: (_req, lastPath) => (lastPath && UUID.test(lastPath) ? `tus/${lastPath}` : undefined),
    namingFunction: async (req, metadata) => {
      try {
        const uploadId = metadata?.uploadId ?? "";
        if (!UUID.test(uploadId)) throw new AppError("VALIDATION_FAILED", "Upload-Metadata must carry the uploadId from POST /api/media/uploads");
        const length = req.headers.get("upload-length");
        await media.startResumable(tusActor(req as TusRequest), uploadId, length === null ? undefined : Number(length));
        return `tus/${uploadId}`;
      } catch (error) {
        throw asTusError(error);
      }
    },
    onIncomingRequest: async (req, id) => {
      try {
        await media.authorizeResumable(tusActor(req as TusRequest), uploadIdOfTusId(id));
      } catch (error) {
        throw asTusError(error);
      }
    },
    onUploadFinish: async (_req, upload) => {
      await media.markUploaded(uploadIdOfTusId(upload.id));
      return {};
    },
  });
  router.all(["/tus", "/tus/*rest"], (req, res) => void tus.handle(req, res));
  return router;
}
