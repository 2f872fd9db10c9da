import { z } from "zod";
import { userIdSchema } from "../../shared/profiles/profile.schema.js";
import type { Services } from "../../shared/runtime/services.js";
import {
  commentSchema,
  createVideoSchema,
  feedQuerySchema,
  listMineSchema,
  searchQuerySchema,
  updateVideoSchema,
  videoIdSchema,
  viewHeartbeatSchema,
} from "../../shared/videos/video.schema.js";
import { defineRoute, type RouteGroup } from "../http/route.js";

const videoParams = z.strictObject({ id: videoIdSchema });
const commentParams = z.strictObject({ id: videoIdSchema, commentId: z.string().min(1).max(130) });
const userParams = z.strictObject({ userId: userIdSchema });
const grantParams = z.strictObject({ id: videoIdSchema, grant: z.string().min(8).max(200), file: z.array(z.string().max(64)).min(1).max(2) });
const commentsQuery = z.strictObject({ after: z.iso.datetime().optional(), limit: z.coerce.number().int().min(1).max(50).default(20) });

/** One `Range: bytes=a-b` (players seek inside segments rarely, but some ask). */
function parseRange(header: string | undefined): { start: number; end?: number } | undefined {
  const match = header ? /^bytes=(\d+)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return undefined;
  return { start: Number(match[1]), ...(match[2] ? { end: Number(match[2]) } : {}) };
}

const dateOrUndefined = (iso: string | undefined) => (iso ? new Date(iso) : undefined);

/**
 * /api/videos: long-form videos and shorts. Reads of public videos may be
 * anonymous; writes need an access token. Playback files are served under
 * `/:id/hls/:grant/...` (the grant is in the path, so relative playlist URIs keep it).
 */
export function videosRoutes(services: Pick<Services, "videos">): RouteGroup {
  const { videos, engagement } = services.videos;
  return {
    prefix: "/videos",
    tag: "videos",
    routes: [
      defineRoute({
        method: "post", path: "/", summary: "Create a video (or short) to upload and transcode", auth: "required", rate: "write", body: createVideoSchema, status: 201,
        handler: async ({ actor, body }) => ({ video: await videos.create(actor.userId, body) }),
      }),
      defineRoute({
        method: "get", path: "/mine", summary: "The caller's videos, newest first", auth: "required", rate: "read", query: listMineSchema,
        handler: ({ actor, query }) => videos.listMine(actor.userId, dateOrUndefined(query.before), query.limit),
      }),
      defineRoute({
        method: "get", path: "/shorts", summary: "The shorts feed", auth: "optional", rate: "read", query: feedQuerySchema,
        handler: async ({ actor, query }) => ({ items: await videos.shortsFeed(actor?.userId, query.offset, query.limit) }),
      }),
      defineRoute({
        method: "get", path: "/trending", summary: "Trending videos", auth: "optional", rate: "read", query: feedQuerySchema,
        handler: async ({ actor, query }) => ({ items: await videos.trending(actor?.userId, query.offset, query.limit) }),
      }),
      defineRoute({
        method: "get", path: "/search", summary: "Full-text search of videos the caller may see", auth: "optional", rate: "search", query: searchQuerySchema,
        handler: async ({ actor, query }) => ({ items: await videos.search(actor?.userId, query.q, query.limit) }),
      }),
      defineRoute({
        method: "get", path: "/users/:userId", summary: "A user's videos the caller may see", auth: "optional", rate: "read", params: userParams, query: listMineSchema,
        handler: ({ actor, params, query }) => videos.listByUser(actor?.userId, params.userId, dateOrUndefined(query.before), query.limit),
      }),
      defineRoute({
        method: "get", path: "/:id/hls/:grant/*file", summary: "A playlist or segment of a video's HLS ladder (the grant authorises it; Range honoured)", auth: "none", rate: "read", params: grantParams, raw: true, produces: "application/vnd.apple.mpegurl",
        handler: async ({ params, req, res }) => {
          const object = await videos.playbackFile(params.id, params.grant, params.file.join("/"), parseRange(req.headers.range));
          res.status(object.contentRange ? 206 : 200);
          res.setHeader("content-type", object.contentType);
          res.setHeader("cache-control", object.cacheControl);
          res.setHeader("accept-ranges", "bytes");
          if (object.contentRange) res.setHeader("content-range", object.contentRange);
          res.setHeader("etag", `"${object.etag}"`);
          object.body.on("error", () => res.destroy());
          object.body.pipe(res);
        },
      }),
      defineRoute({
        method: "get", path: "/:id", summary: "One video (playback URLs once ready)", auth: "optional", rate: "read", params: videoParams,
        handler: async ({ actor, params }) => ({ video: await videos.get(actor?.userId, params.id) }),
      }),
      defineRoute({
        method: "patch", path: "/:id", summary: "Change the caller's video", auth: "required", rate: "write", params: videoParams, body: updateVideoSchema,
        handler: async ({ actor, params, body }) => ({ video: await videos.update(actor.userId, params.id, body) }),
      }),
      defineRoute({
        method: "delete", path: "/:id", summary: "Delete the caller's video", auth: "required", rate: "write", params: videoParams,
        handler: async ({ actor, params }) => void (await videos.remove(actor.userId, params.id)),
      }),
      defineRoute({
        method: "post", path: "/:id/views", summary: "A playback heartbeat (views, watch time, completion)", auth: "optional", rate: "read", params: videoParams, body: viewHeartbeatSchema,
        handler: ({ actor, params, body }) => engagement.heartbeat(actor?.userId, params.id, body),
      }),
      defineRoute({
        method: "post", path: "/:id/likes", summary: "Like a video", auth: "required", rate: "write", params: videoParams,
        handler: ({ actor, params }) => engagement.like(actor.userId, params.id),
      }),
      defineRoute({
        method: "delete", path: "/:id/likes", summary: "Unlike a video", auth: "required", rate: "write", params: videoParams,
        handler: ({ actor, params }) => engagement.unlike(actor.userId, params.id),
      }),
      defineRoute({
        method: "post", path: "/:id/shares", summary: "Count a share of a video", auth: "required", rate: "write", params: videoParams,
        handler: ({ actor, params }) => engagement.share(actor.userId, params.id),
      }),
      defineRoute({
        method: "get", path: "/:id/comments", summary: "A video's comments", auth: "optional", rate: "read", params: videoParams, query: commentsQuery,
        handler: async ({ actor, params, query }) => ({ items: await engagement.comments(actor?.userId, params.id, dateOrUndefined(query.after), query.limit) }),
      }),
      defineRoute({
        method: "post", path: "/:id/comments", summary: "Comment on a video", auth: "required", rate: "write", params: videoParams, body: commentSchema, status: 201,
        handler: async ({ actor, params, body }) => ({ comment: await engagement.comment(actor.userId, params.id, body) }),
      }),
      defineRoute({
        method: "delete", path: "/:id/comments/:commentId", summary: "Delete a comment (its author or the video's owner)", auth: "required", rate: "write", params: commentParams,
        handler: async ({ actor, params }) => void (await engagement.deleteComment(actor.userId, params.id, params.commentId)),
      }),
      defineRoute({
        method: "get", path: "/:id/stats", summary: "A video's analytics (its owner)", auth: "required", rate: "read", params: videoParams,
        handler: async ({ actor, params }) => ({ stats: await engagement.stats(actor.userId, params.id) }),
      }),
    ],
  };
}
