import { z } from "zod";
import {
  pageQuerySchema,
  searchProfilesSchema,
  setAvatarSchema,
  updateProfileSchema,
  userIdSchema,
  usernameSchema,
  verificationSchema,
} from "../../shared/profiles/profile.schema.js";
import type { Services } from "../../shared/runtime/services.js";
import { defineRoute, type RouteGroup } from "../http/route.js";

const userParams = z.strictObject({ userId: userIdSchema });
const usernameParams = z.strictObject({ username: usernameSchema });

/**
 * /api/profiles: the caller's profile, other users' profiles, search, the
 * follow graph (follow requests included) and blocks. Profiles by id or
 * username may be read anonymously; everything else needs an access token.
 */
export function profilesRoutes({ profiles, follows, blocks, avatars }: Pick<Services, "profiles" | "follows" | "blocks" | "avatars">): RouteGroup {
  return {
    prefix: "/profiles",
    tag: "profiles",
    routes: [
      defineRoute({
        method: "get", path: "/me", summary: "The caller's profile", auth: "required", rate: "read",
        handler: async ({ actor }) => ({ profile: await profiles.getOwn(actor) }),
      }),
      defineRoute({
        method: "patch", path: "/me", summary: "Change the caller's profile", auth: "required", rate: "write", body: updateProfileSchema,
        handler: async ({ actor, body }) => ({ profile: await profiles.updateOwn(actor, body) }),
      }),
      defineRoute({
        method: "put", path: "/me/avatar", summary: "Set the caller's avatar from one of their ready avatar uploads", auth: "required", rate: "write", body: setAvatarSchema,
        handler: async ({ actor, body }) => ({ profile: await avatars.set(actor, body.uploadId) }),
      }),
      defineRoute({
        method: "delete", path: "/me/avatar", summary: "Remove the caller's avatar", auth: "required", rate: "write",
        handler: async ({ actor }) => ({ profile: await avatars.remove(actor) }),
      }),
      defineRoute({
        method: "get", path: "/me/follow-requests", summary: "Follow requests waiting for the caller", auth: "required", rate: "read", query: pageQuerySchema,
        handler: ({ actor, query }) => follows.listRequests(actor, query),
      }),
      defineRoute({
        method: "post", path: "/me/follow-requests/:userId/accept", summary: "Accept a follow request", auth: "required", rate: "write", params: userParams,
        handler: ({ actor, params }) => follows.acceptRequest(actor, params.userId),
      }),
      defineRoute({
        method: "post", path: "/me/follow-requests/:userId/decline", summary: "Decline a follow request", auth: "required", rate: "write", params: userParams,
        handler: async ({ actor, params }) => void (await follows.declineRequest(actor, params.userId)),
      }),
      defineRoute({
        method: "get", path: "/me/blocked", summary: "Users the caller blocked", auth: "required", rate: "read", query: pageQuerySchema,
        handler: ({ actor, query }) => blocks.listBlocked(actor, query),
      }),
      defineRoute({
        method: "get", path: "/search", summary: "Search profiles by name and username", auth: "required", rate: "search", query: searchProfilesSchema,
        handler: async ({ actor, query }) => ({ items: await profiles.search(actor, query) }),
      }),
      defineRoute({
        method: "get", path: "/by-username/:username", summary: "A profile by username (as the caller may see it)", auth: "optional", rate: "read", params: usernameParams,
        handler: async ({ actor, params }) => ({ profile: await profiles.viewByUsername(actor, params.username) }),
      }),
      defineRoute({
        method: "get", path: "/:userId", summary: "A profile by user id (as the caller may see it)", auth: "optional", rate: "read", params: userParams,
        handler: async ({ actor, params }) => ({ profile: await profiles.viewById(actor, params.userId) }),
      }),
      defineRoute({
        method: "get", path: "/:userId/followers", summary: "A user's followers", auth: "required", rate: "read", params: userParams, query: pageQuerySchema,
        handler: ({ actor, params, query }) => follows.listFollowers(actor, params.userId, query),
      }),
      defineRoute({
        method: "get", path: "/:userId/following", summary: "Whom a user follows", auth: "required", rate: "read", params: userParams, query: pageQuerySchema,
        handler: ({ actor, params, query }) => follows.listFollowing(actor, params.userId, query),
      }),
      defineRoute({
        method: "post", path: "/:userId/follow", summary: "Follow a user (a request for a private account)", auth: "required", rate: "write", params: userParams,
        handler: ({ actor, params }) => follows.follow(actor, params.userId),
      }),
      defineRoute({
        method: "delete", path: "/:userId/follow", summary: "Unfollow a user (or withdraw the request)", auth: "required", rate: "write", params: userParams,
        handler: async ({ actor, params }) => void (await follows.unfollow(actor, params.userId)),
      }),
      defineRoute({
        method: "post", path: "/:userId/block", summary: "Block a user", auth: "required", rate: "write", params: userParams,
        handler: async ({ actor, params }) => void (await blocks.block(actor, params.userId)),
      }),
      defineRoute({
        method: "delete", path: "/:userId/block", summary: "Unblock a user", auth: "required", rate: "write", params: userParams,
        handler: async ({ actor, params }) => void (await blocks.unblock(actor, params.userId)),
      }),
      defineRoute({
        method: "put", path: "/:userId/verification", summary: "Set a profile's verification badge (moderators)", auth: "required", rate: "write", params: userParams, body: verificationSchema,
        handler: async ({ actor, params, body }) => ({ profile: await profiles.setVerification(actor, params.userId, body.verified) }),
      }),
    ],
  };
}
