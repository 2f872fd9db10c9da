import type { MediaUploadDoc } from "./media.repository.js";
import type { MediaUploadView, VariantName } from "./media.types.js";

/** What the uploader (and the services that use an upload) see of it. */
export function toView(doc: MediaUploadDoc): MediaUploadView {
  return {
    id: doc._id,
    ownerId: doc.ownerId,
    purpose: doc.purpose,
    status: doc.status,
    kind: doc.kind,
    mimeType: doc.mimeType,
    size: doc.size,
    ...(doc.fileName ? { fileName: doc.fileName } : {}),
    metadata: doc.metadata,
    variants: Object.keys(doc.variants) as VariantName[],
    ...(doc.failureReason ? { failureReason: doc.failureReason } : {}),
    ...(doc.expiresAt && doc.status === "pending" ? { expiresAt: doc.expiresAt.toISOString() } : {}),
    createdAt: doc.createdAt.toISOString(),
    updatedAt: doc.updatedAt.toISOString(),
  };
}

/** `attachment; filename="a.pdf"; filename*=UTF-8''a.pdf`, with the quoted name reduced to safe ASCII. */
export function contentDisposition(type: "attachment" | "inline", fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
