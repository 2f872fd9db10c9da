import { z } from "zod";
import { CALL_STATUSES, SYSTEM_EVENTS, type MessageContent } from "./chat.types.js";
import { multiLineText, singleLineText } from "../validation/text.js";

/** Longest text body; captions are shorter. */
export const MAX_TEXT_LENGTH = 4096;
export const MAX_CAPTION_LENGTH = 1024;

const httpUrl = z
  .url({ protocol: /^https?$/, message: "must be an http(s) URL" })
  .max(2048);
const dimension = z.number().int().min(1).max(16_384);
const caption = multiLineText({ min: 1, max: MAX_CAPTION_LENGTH }).optional();

/**
 * An attachment is an upload the sender owns (purpose `chat`, status `ready`),
 * named by id: the server fills in its type, size and dimensions from the
 * upload, and members get short-lived signed URLs from
 * `GET /api/chat/conversations/:id/messages/:messageId/media`.
 */
const attachment = z.strictObject({ mediaId: z.uuid() });
const audioAttachment = z.strictObject({ mediaId: z.uuid(), voiceNote: z.boolean().optional() });

/** Content a client may send, one schema per message type. */
export const clientContentSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text"), text: multiLineText({ min: 1, max: MAX_TEXT_LENGTH }) }),
  z.strictObject({ type: z.literal("image"), media: attachment, text: caption }),
  z.strictObject({ type: z.literal("video"), media: attachment, text: caption }),
  z.strictObject({ type: z.literal("audio"), media: audioAttachment }),
  z.strictObject({ type: z.literal("file"), media: attachment, text: caption }),
  z.strictObject({
    type: z.literal("location"),
    location: z.strictObject({
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
      name: singleLineText({ min: 1, max: 200 }).optional(),
      address: singleLineText({ min: 1, max: 500 }).optional(),
    }),
  }),
  z.strictObject({
    type: z.literal("contact"),
    contact: z.strictObject({
      name: singleLineText({ min: 1, max: 200 }),
      phoneNumbers: z.array(z.string().regex(/^\+?[0-9 ()-]{3,32}$/, "must be a phone number")).min(1).max(10),
      userId: z.uuid().optional(),
    }),
  }),
  z.strictObject({
    type: z.literal("sticker"),
    sticker: z.strictObject({ stickerId: z.string().min(1).max(128), packId: z.string().min(1).max(128).optional(), url: httpUrl }),
  }),
  z.strictObject({
    type: z.literal("gif"),
    gif: z.strictObject({ url: httpUrl, width: dimension, height: dimension, provider: z.string().min(1).max(64).optional() }),
    text: caption,
  }),
]);

export type ClientContent = z.infer<typeof clientContentSchema>;

/** A call record, as the calls domain reports it. */
export const callRecordSchema = z.strictObject({
  callId: z.string().min(1).max(128),
  mediaType: z.enum(["audio", "video"]),
  status: z.enum(CALL_STATUSES),
  durationSeconds: z.number().min(0).max(7 * 24 * 3600),
  initiatorId: z.uuid(),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime().optional(),
  version: z.number().int().min(1).optional(),
});

export const systemNoteSchema = z.strictObject({
  event: z.enum(SYSTEM_EVENTS),
  actorId: z.uuid(),
  targetIds: z.array(z.uuid()).max(256).optional(),
  title: z.string().max(200).optional(),
});

/** The short line shown in chat lists and reply quotes. */
export function previewOf(content: MessageContent | null): string {
  if (!content) return "This message was deleted";
  const withCaption = (label: string, text?: string) => (text ? `${label} ${text}` : label).slice(0, 120);
  switch (content.type) {
    case "text":
      return content.text.slice(0, 120);
    case "image":
      return withCaption("📷", content.text);
    case "video":
      return withCaption("🎥", content.text);
    case "audio":
      return content.media.voiceNote ? "🎤 Voice message" : "🎵 Audio";
    case "file":
      return withCaption(`📄 ${content.media.fileName ?? "File"}`, content.text);
    case "location":
      return `📍 ${content.location.name ?? "Location"}`.slice(0, 120);
    case "contact":
      return `👤 ${content.contact.name}`.slice(0, 120);
    case "sticker":
      return "Sticker";
    case "gif":
      return withCaption("GIF", content.text);
    case "system":
      return content.system.event.replace(/_/g, " ");
    case "call":
      return `${content.call.mediaType === "video" ? "📹" : "📞"} ${content.call.status} call`;
  }
}

/** The words a message is found by in search (none for system lines and calls). */
export function searchTextOf(content: MessageContent | null): string | undefined {
  if (!content) return undefined;
  switch (content.type) {
    case "text":
      return content.text;
    case "image":
    case "video":
    case "gif":
      return content.text;
    case "file":
      return [content.media.fileName, content.text].filter(Boolean).join(" ") || undefined;
    case "location":
      return [content.location.name, content.location.address].filter(Boolean).join(" ") || undefined;
    case "contact":
      return content.contact.name;
    default:
      return undefined;
  }
}

/** The gallery shelf a message belongs on, if any. */
export function galleryKindOf(type: MessageContent["type"]): "media" | "file" | "audio" | undefined {
  if (type === "image" || type === "video") return "media";
  if (type === "file") return "file";
  if (type === "audio") return "audio";
  return undefined;
}

/** The upload a message's content refers to, if any. */
export function attachmentOf(content: MessageContent | null): string | undefined {
  if (!content) return undefined;
  if (content.type === "image" || content.type === "video" || content.type === "audio" || content.type === "file") return content.media.mediaId;
  return undefined;
}
