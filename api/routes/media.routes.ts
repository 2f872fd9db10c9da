import type { IncomingMessage, ServerResponse } from "node:http";
import { Server as TusServer } from "@tus/server";
import { z } from "zod";
import type { Actor } from "../../shared/auth/actor.js";
import { AppError, toErrorBody } from "../../shared/errors/app-error.js";
import { TUS_PATH } from "../../shared/media/media.module.js";
import { createUploadSchema, uploadRefSchema } from "../../shared/media/media.schema.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTusStore } from "../../shared/media/tus-store.js";
import type { RedisTusLocker } from "../../shared/media/tus-redis-locker.js";
import { defineRoute, type RouteGroup } from "../http/route.js";

/** The tus upload's id (or anything tus answers 404 for), as Express 5 hands a wildcard. */
const tusParams = z.strictObject({ rest: z.array(z.string()) });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The srvx request tus hands its hooks keeps the Node request/response it wraps. */
interface TusRequest {
  headers: Headers;
  runtime?: { node?: { req: IncomingMessage; res: ServerResponse & { locals?: { auth?: Actor } } } };
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
export function mediaRoutes({ media, storage }: Pick<Services, "media" | "storage">, locker: RedisTusLocker): RouteGroup {
  const tus = new TusServer({
    path: TUS_PATH,
    datastore: createTusStore(storage),
    // Several API replicas may serve one upload: its requests are serialised through Redis.
    locker,
    maxSize: media.maxResumableBytes,
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
  // tus reads the acting user from res.locals (its hooks see only the wrapped request).
  const tusHandler = ({ actor, req, res }: { actor: Actor; req: IncomingMessage; res: ServerResponse & { locals: Record<string, unknown> } }) => {
    res.locals.auth = actor;
    void tus.handle(req, res);
  };
  return {
    prefix: "/media",
    tag: "media",
    routes: [
      defineRoute({
        method: "post", path: "/uploads", summary: "Create an upload: a signed PUT URL or a tus target", auth: "required", rate: "write", body: createUploadSchema, status: 201,
        handler: ({ actor, body }) => media.createUpload(actor.userId, body),
      }),
      defineRoute({
        method: "get", path: "/uploads/:uploadId", summary: "An upload's status and metadata", auth: "required", rate: "read", params: uploadRefSchema,
        handler: async ({ actor, params }) => ({ upload: await media.get(actor.userId, params.uploadId) }),
      }),
      defineRoute({
        method: "post", path: "/uploads/:uploadId/complete", summary: "Declare a signed PUT finished: the bytes are checked and processed", auth: "required", rate: "write", params: uploadRefSchema,
        handler: async ({ actor, params }) => ({ upload: await media.complete(actor.userId, params.uploadId) }),
      }),
      defineRoute({
        method: "all", path: "/tus", summary: "tus 1.0 resumable uploads: creation (Upload-Metadata carries the uploadId)", auth: "required", rate: "none", raw: true, produces: "application/offset+octet-stream",
        handler: tusHandler,
      }),
      defineRoute({
        method: "all", path: "/tus/*rest", summary: "tus 1.0 resumable uploads: offset, append, terminate", auth: "required", rate: "none", params: tusParams, raw: true, produces: "application/offset+octet-stream",
        handler: tusHandler,
      }),
    ],
  };
}
