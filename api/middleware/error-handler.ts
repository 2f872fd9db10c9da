import type { ErrorRequestHandler, RequestHandler } from "express";
import { AppError, isStoreUnavailable, toAppError, toErrorBody } from "../../shared/errors/app-error.js";

/** Unknown routes get the same error shape as everything else. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError("NOT_FOUND", `No route for ${req.method} ${req.path}`));
};

/** Maps any error to its status and body; internals never reach the client. */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  let appError: AppError | undefined = error instanceof AppError ? error : undefined;
  const bodyError = error as { type?: string; status?: number };
  if (!appError && bodyError.type === "entity.too.large") {
    appError = new AppError("PAYLOAD_TOO_LARGE", "The request body is too large");
  } else if (!appError && bodyError.type === "entity.parse.failed") {
    appError = new AppError("VALIDATION_FAILED", "The request body is not valid JSON");
  } else if (!appError && typeof bodyError.status === "number" && bodyError.status >= 400 && bodyError.status < 500) {
    appError = new AppError("BAD_REQUEST", "The request could not be read");
  }
  if (!appError && isStoreUnavailable(error)) appError = toAppError(error);
  const status = appError?.status ?? 500;
  if (status >= 500) req.log.error({ err: error }, "request failed");
  if (appError?.code === "RATE_LIMITED" || appError?.code === "UNAVAILABLE") {
    const retryAfter = (appError.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    if (retryAfter) res.setHeader("Retry-After", String(retryAfter));
  }
  res.status(status).json({ error: toErrorBody(appError ?? error) });
};
