import { createHmac } from "node:crypto";
import type { Config } from "../config/config.js";
import { LocalObjectStorage } from "./local-storage.js";
import type { ObjectStorage } from "./object-storage.js";
import { S3ObjectStorage } from "./s3-storage.js";
import { UrlSigner } from "./url-signature.js";

/** The API path local-storage objects are served under. */
export const LOCAL_MEDIA_PATH = "/media";

/** The key of signed local-storage URLs (its own, or derived from the JWT secret). */
export function mediaSigningSecret(config: Config): string {
  return config.MEDIA_SIGNING_SECRET ?? createHmac("sha256", config.JWT_SECRET).update("media-url-signing").digest("base64url");
}

export function publicMediaBaseUrl(config: Config): string {
  return (config.MEDIA_PUBLIC_URL ?? `${config.PUBLIC_URL}${LOCAL_MEDIA_PATH}`).replace(/\/+$/, "");
}

/** The object storage this deployment is configured for. */
export function createObjectStorage(config: Config): ObjectStorage {
  if (config.MEDIA_STORAGE === "s3") {
    return new S3ObjectStorage({
      bucket: config.S3_BUCKET,
      region: config.S3_REGION,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
      publicBaseUrl: publicMediaBaseUrl(config),
      ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
      ...(config.S3_PRESIGN_ENDPOINT ? { presignEndpoint: config.S3_PRESIGN_ENDPOINT } : {}),
      ...(config.S3_ACCESS_KEY_ID ? { accessKeyId: config.S3_ACCESS_KEY_ID } : {}),
      ...(config.S3_SECRET_ACCESS_KEY ? { secretAccessKey: config.S3_SECRET_ACCESS_KEY } : {}),
    });
  }
  return new LocalObjectStorage(config.MEDIA_LOCAL_DIR, {
    signer: new UrlSigner(mediaSigningSecret(config)),
    baseUrl: `${config.PUBLIC_URL.replace(/\/+$/, "")}${LOCAL_MEDIA_PATH}`,
    publicBaseUrl: publicMediaBaseUrl(config),
  });
}
