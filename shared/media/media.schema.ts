import { z } from "zod";
import { MEDIA_PURPOSES } from "./media.types.js";

const idSchema = z.uuid();

/** A file name as shown to downloaders: one path segment, no control characters, no dot-only names. */
export const fileNameSchema = z
  .string()
  .min(1)
  .max(255)
  // eslint-disable-next-line no-control-regex -- control characters are what is being refused
  .refine((name) => !/[/\\\u0000-\u001f\u007f]/.test(name), "must be a file name, not a path, without control characters")
  .refine((name) => name.trim() === name && !/^\.+$/.test(name), "must be a file name");

export const createUploadSchema = z.strictObject({
  purpose: z.enum(MEDIA_PURPOSES),
  mimeType: z.string().min(3).max(127).regex(/^[a-z]+\/[a-z0-9.+-]+$/i, "must be a MIME type"),
  size: z.number().int().min(1, "an empty file cannot be uploaded").max(Number.MAX_SAFE_INTEGER),
  fileName: fileNameSchema.optional(),
  /** Ask for the resumable (tus) endpoint even below the threshold. */
  resumable: z.boolean().optional(),
});
export type CreateUploadInput = z.infer<typeof createUploadSchema>;

export const uploadRefSchema = z.strictObject({ uploadId: idSchema });
