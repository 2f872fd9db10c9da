import { profilesCollection } from "../profiles/profile.collections.js";
import { blockedByCollection, blockedUsersCollection } from "../social/block.collections.js";
import { followsCollection } from "../social/follow.collections.js";
import { chatCollections } from "../chat/chat.collections.js";
import { videoCollections } from "../videos/video.collections.js";
import { mediaUploadsCollection } from "../media/media.collections.js";
import { postCollections } from "../posts/post.collections.js";
import { callCollections } from "../calls/call.collections.js";
import { notificationCollections } from "../notifications/notification.collections.js";
import type { CollectionSpec } from "./mongo-collections.js";

/**
 * Every MongoDB collection of the product. Each domain declares its specs
 * beside its repository and adds them here; `npm run migrate` applies them all.
 */
export const allCollections: readonly CollectionSpec[] = [
  profilesCollection,
  followsCollection,
  blockedUsersCollection,
  blockedByCollection,
  ...chatCollections,
  ...videoCollections,
  mediaUploadsCollection,
  ...postCollections,
  ...callCollections,
  ...notificationCollections,
];
