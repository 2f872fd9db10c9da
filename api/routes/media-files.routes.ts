import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { AppError } from "../../shared/errors/app-error.js";
import type { LocalObjectStorage } from "../../shared/storage/local-storage.js";
import { isValidObjectKey, parseRangeHeader, StorageLengthError } from "../../shared/storage/object-storage.js";
import type { UrlSigner } from "../../shared/storage/url-signature.js";
import { mountRoutes, type RouteKit } from "../http/mount-routes.js";
import { defineRoute, type RouteGroup } from "../http/route.js";

/** Asked before and after a signed PUT stores an object (the media service binds uploads to their URLs). */
export interface SignedPutHooks {
  /** Throws when the key may not be written now (upload expired, already received). */
  beforePut(key: string): Promise<void>;
  /** The object is stored: the upload can be checked. */
  afterPut(key: string): Promise<void>;
}

/** Keys under this prefix are public: served without a signature, with long cache lifetimes. */
export const PUBLIC_PREFIX = "public/";

/** The object key of a `/*key` path (404 when it is not a key storage could hold). */
function keyOf(parts: readonly string[]): string {
  const key = parts.join("/");
  if (!isValidObjectKey(key)) throw new AppError("NOT_FOUND", "No such object");
  return key;
}

/** The key's segments, as Express 5 hands a wildcard. */
const keyParams = z.strictObject({ key: z.array(z.string()) });
/** A signature parameter as the query string carries it (checked by the signer, which refuses a repeated one). */
const signatureValue = z.union([z.string(), z.array(z.string())]).optional();
/** The signed link's parameters; other parameters are ignored (caches and players append their own). */
const signedQuery = z.looseObject({
  "X-Method": signatureValue,
  "X-Expires": signatureValue,
  "X-Type": signatureValue,
  "X-Length": signatureValue,
  "X-Disposition": signatureValue,
  "X-Signature": signatureValue,
});

function denied(reason: "missing" | "tampered" | "expired"): AppError {
  if (reason === "expired") return new AppError("FORBIDDEN", "This link has expired", { reason });
  if (reason === "tampered") return new AppError("FORBIDDEN", "This link's signature is not valid", { reason });
  return new AppError("FORBIDDEN", "This object needs a signed link", { reason });
}

/**
 * `/media/*`: the local storage adapter's HTTP face. GET serves an object
 * (signed link, or any object under `public/`) with Range, ETag/If-None-Match,
 * Content-Type, Content-Disposition and Cache-Control, streamed from storage;
 * PUT streams the body of a signed upload link into storage, exactly the
 * signed length and type, once. The signature is the authorisation: no token,
 * no rate class (the link's expiry bounds it).
 */
export function mediaFilesRouteGroup(storage: LocalObjectStorage, signer: UrlSigner, hooks?: SignedPutHooks): RouteGroup {
  return {
    prefix: "",
    tag: "media-files",
    routes: [
      defineRoute({
        method: "get", path: "/*key", summary: "An object: a signed link, or any public/ object (Range, ETag, HEAD)", auth: "none", rate: "none", params: keyParams, query: signedQuery, raw: true, produces: "application/octet-stream",
        handler: async ({ params, query, req, res }) => {
          const key = keyOf(params.key);
          let disposition: string | undefined;
          let contentType: string | undefined;
          const isPublic = key.startsWith(PUBLIC_PREFIX);
          if (!isPublic || query["X-Signature"] !== undefined) {
            const grant = signer.verify(key, "GET", query);
            if (typeof grant === "string") throw denied(grant);
            disposition = grant.disposition;
            contentType = grant.contentType;
          }
          await serve(storage, key, req, res, { isPublic, disposition, contentType });
        },
      }),
      defineRoute({
        method: "put", path: "/*key", summary: "Store the body of a signed upload link (streamed; exactly its length and type, once)", auth: "none", rate: "none", params: keyParams, query: signedQuery, raw: true, produces: "application/json",
        handler: async ({ params, query, req, res }) => {
          const key = keyOf(params.key);
          const grant = signer.verify(key, "PUT", query);
          if (typeof grant === "string") throw denied(grant);
          const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
          if (grant.contentType !== undefined && type !== grant.contentType) {
            throw new AppError("UNSUPPORTED_MEDIA_TYPE", `This link accepts Content-Type ${grant.contentType} only`);
          }
          const declared = req.headers["content-length"] === undefined ? undefined : Number(req.headers["content-length"]);
          if (grant.contentLength !== undefined && declared !== undefined && declared !== grant.contentLength) {
            throw new AppError(declared > grant.contentLength ? "PAYLOAD_TOO_LARGE" : "VALIDATION_FAILED", `This link accepts exactly ${grant.contentLength} bytes`);
          }
          if (grant.contentLength === 0) throw new AppError("VALIDATION_FAILED", "An empty body cannot be uploaded");
          await hooks?.beforePut(key);
          if (!hooks && (await storage.head(key))) throw new AppError("CONFLICT", "This object was already uploaded");
          try {
            const stored = await storage.put(key, req, {
              contentType: grant.contentType ?? (type || "application/octet-stream"),
              ...(grant.contentLength === undefined ? {} : { contentLength: grant.contentLength }),
            });
            await hooks?.afterPut(key);
            res.setHeader("etag", stored.etag);
            res.status(200).json({ key, size: stored.size, etag: stored.etag });
          } catch (error) {
            if (error instanceof StorageLengthError) {
              // Stop reading: the client learns at once, and the rest of the body is not buffered.
              res.setHeader("connection", "close");
              throw new AppError(error.received > error.expected ? "PAYLOAD_TOO_LARGE" : "VALIDATION_FAILED", error.received > error.expected ? `The body is longer than the ${error.expected} bytes this link accepts` : `The body ended after ${error.received} of ${error.expected} bytes`);
            }
            throw error;
          }
        },
      }),
    ],
  };
}

/** No route of the group needs a token, a rate class or a role. */
const UNUSED_KIT: RouteKit = {
  accessGuard: { authenticate: () => Promise.reject(new Error("media files take no token")) },
  rateLimiter: undefined as never,
  roles: { hasRole: () => Promise.resolve(false) },
};

/** The same routes as a router of their own, for a storage server without the API (tests, benchmarks). */
export function mediaFilesRoutes(storage: LocalObjectStorage, signer: UrlSigner, hooks?: SignedPutHooks): Router {
  const router = Router();
  mountRoutes(router, "", [mediaFilesRouteGroup(storage, signer, hooks)], UNUSED_KIT);
  return router;
}

async function serve(
  storage: LocalObjectStorage,
  key: string,
  req: Request,
  res: Response,
  options: { isPublic: boolean; disposition: string | undefined; contentType: string | undefined },
): Promise<void> {
  const info = await storage.head(key);
  if (!info) throw new AppError("NOT_FOUND", "No such object");
  const cacheControl = (await storage.cacheControl(key)) ?? (options.isPublic ? "public, max-age=31536000, immutable" : "private, max-age=300");
  res.setHeader("etag", info.etag);
  res.setHeader("cache-control", cacheControl);
  res.setHeader("last-modified", info.lastModified.toUTCString());
  res.setHeader("accept-ranges", "bytes");
  res.setHeader("x-content-type-options", "nosniff");
  // Nothing served from storage may run as a page of our origin.
  res.setHeader("content-security-policy", "default-src 'none'; sandbox");
  res.setHeader("content-type", options.contentType ?? info.contentType);
  if (options.disposition) res.setHeader("content-disposition", options.disposition);
  const ifNoneMatch = req.headers["if-none-match"];
  if (ifNoneMatch && ifNoneMatch.split(",").some((tag) => tag.trim() === info.etag || tag.trim() === "*")) {
    res.status(304).end();
    return;
  }
  const range = parseRangeHeader(req.headers.range, info.size);
  if (range === "unsatisfiable") {
    res.setHeader("content-range", `bytes */${info.size}`);
    throw new AppError("BAD_REQUEST", "Range not satisfiable", undefined, { status: 416 });
  }
  const object = await storage.get(key, range ? { range } : {});
  if (object.contentRange) {
    res.status(206);
    res.setHeader("content-range", object.contentRange);
  }
  res.setHeader("content-length", String(range ? range.end - range.start + 1 : info.size));
  if (req.method === "HEAD") {
    object.body.destroy();
    res.end();
    return;
  }
  object.body.on("error", (error) => res.destroy(error));
  res.on("close", () => object.body.destroy());
  object.body.pipe(res);
}
