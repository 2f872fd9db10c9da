import { z } from "zod";
import {
  createCommentSchema,
  createPostSchema,
  editCommentSchema,
  editPostSchema,
  listQuerySchema,
  nearQuerySchema,
  objectIdSchema,
  reactorsQuerySchema,
  reactSchema,
  searchQuerySchema,
  voteSchema,
} from "../../shared/posts/post.schema.js";
import { userIdSchema } from "../../shared/profiles/profile.schema.js";
import type { Services } from "../../shared/runtime/services.js";
import { defineRoute, type RouteGroup } from "../http/route.js";

const postParams = z.strictObject({ postId: objectIdSchema });
const commentParams = z.strictObject({ postId: objectIdSchema, commentId: objectIdSchema });
const userParams = z.strictObject({ userId: userIdSchema });
const noQuery = z.strictObject({});

/**
 * /api/posts: posts (create, read, edit, history, delete, polls, shares via
 * `sharedPostId`), comments and reactions, and the timelines besides the home
 * feed (an author's posts, near a place, search, trending). Reads may be
 * anonymous (public posts of public accounts only); writes need a token.
 */
export function postsRoutes(services: Pick<Services, "posts">): RouteGroup {
  const { posts, comments, reactions, queries } = services.posts;
  return {
    prefix: "/posts",
    tag: "posts",
    routes: [
      defineRoute({
        method: "post", path: "/", summary: "Create a post (text, poll, location, or a share of another post)", auth: "required", rate: "write", body: createPostSchema, status: 201,
        handler: async ({ actor, body }) => ({ post: await posts.create(actor, body) }),
      }),
      defineRoute({
        method: "get", path: "/search", summary: "Full-text search of posts the caller may see", auth: "optional", rate: "search", query: searchQuerySchema,
        handler: async ({ actor, query }) => ({ items: await queries.search(actor, query.q, query.limit) }),
      }),
      defineRoute({
        method: "get", path: "/trending", summary: "Posts by engagement score", auth: "optional", rate: "read", query: listQuerySchema,
        handler: ({ actor, query }) => queries.trending(actor, query),
      }),
      defineRoute({
        method: "get", path: "/near", summary: "Posts near a place", auth: "optional", rate: "search", query: nearQuerySchema,
        handler: async ({ actor, query }) => ({ items: await queries.near(actor, query) }),
      }),
      defineRoute({
        method: "get", path: "/users/:userId", summary: "An author's timeline", auth: "optional", rate: "read", params: userParams, query: listQuerySchema,
        handler: ({ actor, params, query }) => queries.byUser(actor, params.userId, query),
      }),
      defineRoute({
        method: "get", path: "/:postId", summary: "One post", auth: "optional", rate: "read", params: postParams, query: noQuery,
        handler: async ({ actor, params }) => ({ post: await posts.get(actor, params.postId) }),
      }),
      defineRoute({
        method: "patch", path: "/:postId", summary: "Edit the caller's post (kept in its history)", auth: "required", rate: "write", params: postParams, body: editPostSchema,
        handler: async ({ actor, params, body }) => ({ post: await posts.edit(actor, params.postId, body) }),
      }),
      defineRoute({
        method: "delete", path: "/:postId", summary: "Delete the caller's post", auth: "required", rate: "write", params: postParams,
        handler: async ({ actor, params }) => void (await posts.delete(actor, params.postId)),
      }),
      defineRoute({
        method: "get", path: "/:postId/history", summary: "A post's edit history", auth: "optional", rate: "read", params: postParams,
        handler: async ({ actor, params }) => ({ items: await posts.history(actor, params.postId) }),
      }),
      defineRoute({
        method: "post", path: "/:postId/votes", summary: "Vote in a post's poll", auth: "required", rate: "write", params: postParams, body: voteSchema,
        handler: async ({ actor, params, body }) => ({ post: await posts.vote(actor, params.postId, body.optionIds) }),
      }),
      defineRoute({
        method: "put", path: "/:postId/reaction", summary: "Set the caller's reaction to a post", auth: "required", rate: "write", params: postParams, body: reactSchema,
        handler: ({ actor, params, body }) => reactions.react(actor, params.postId, undefined, body.type),
      }),
      defineRoute({
        method: "delete", path: "/:postId/reaction", summary: "Remove the caller's reaction to a post", auth: "required", rate: "write", params: postParams,
        handler: ({ actor, params }) => reactions.unreact(actor, params.postId, undefined),
      }),
      defineRoute({
        method: "get", path: "/:postId/reactions", summary: "Who reacted to a post", auth: "optional", rate: "read", params: postParams, query: reactorsQuerySchema,
        handler: ({ actor, params, query }) => reactions.reactors(actor, params.postId, undefined, query),
      }),
      defineRoute({
        method: "post", path: "/:postId/comments", summary: "Comment on a post (or reply to a comment, 5 levels deep)", auth: "required", rate: "write", params: postParams, body: createCommentSchema, status: 201,
        handler: async ({ actor, params, body }) => ({ comment: await comments.create(actor, params.postId, body) }),
      }),
      defineRoute({
        method: "get", path: "/:postId/comments", summary: "A post's comment thread", auth: "optional", rate: "read", params: postParams, query: listQuerySchema,
        handler: ({ actor, params, query }) => comments.thread(actor, params.postId, query),
      }),
      defineRoute({
        method: "get", path: "/:postId/comments/top-level", summary: "A post's top-level comments", auth: "optional", rate: "read", params: postParams, query: listQuerySchema,
        handler: ({ actor, params, query }) => comments.replies(actor, params.postId, null, query),
      }),
      defineRoute({
        method: "get", path: "/:postId/comments/:commentId/replies", summary: "Replies to a comment", auth: "optional", rate: "read", params: commentParams, query: listQuerySchema,
        handler: ({ actor, params, query }) => comments.replies(actor, params.postId, params.commentId, query),
      }),
      defineRoute({
        method: "patch", path: "/:postId/comments/:commentId", summary: "Edit the caller's comment", auth: "required", rate: "write", params: commentParams, body: editCommentSchema,
        handler: async ({ actor, params, body }) => ({ comment: await comments.edit(actor, params.postId, params.commentId, body.text) }),
      }),
      defineRoute({
        method: "delete", path: "/:postId/comments/:commentId", summary: "Delete a comment (its author or the post's)", auth: "required", rate: "write", params: commentParams,
        handler: async ({ actor, params }) => void (await comments.delete(actor, params.postId, params.commentId)),
      }),
      defineRoute({
        method: "put", path: "/:postId/comments/:commentId/reaction", summary: "Set the caller's reaction to a comment", auth: "required", rate: "write", params: commentParams, body: reactSchema,
        handler: ({ actor, params, body }) => reactions.react(actor, params.postId, params.commentId, body.type),
      }),
      defineRoute({
        method: "delete", path: "/:postId/comments/:commentId/reaction", summary: "Remove the caller's reaction to a comment", auth: "required", rate: "write", params: commentParams,
        handler: ({ actor, params }) => reactions.unreact(actor, params.postId, params.commentId),
      }),
      defineRoute({
        method: "get", path: "/:postId/comments/:commentId/reactions", summary: "Who reacted to a comment", auth: "optional", rate: "read", params: commentParams, query: reactorsQuerySchema,
        handler: ({ actor, params, query }) => reactions.reactors(actor, params.postId, params.commentId, query),
      }),
    ],
  };
}
