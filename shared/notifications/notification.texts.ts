import type { NotificationDoc, NotificationType } from "./notification.types.js";

/** The newest actor's name and how many others there are. */
function who(doc: NotificationDoc, names: ReadonlyMap<string, string>): string {
  const newest = doc.latestActorIds[doc.latestActorIds.length - 1];
  const name = (newest && names.get(newest)) ?? "Someone";
  const others = doc.count - 1;
  return others <= 0 ? name : others === 1 ? `${name} and 1 other` : `${name} and ${others} others`;
}

const quoted = (text: string | undefined): string => (text ? `: "${text}"` : "");

const RENDER: Record<NotificationType, (doc: NotificationDoc, actors: string) => { title: string; body: string }> = {
  follow: (d, a) => ({ title: d.count > 1 ? "New followers" : "New follower", body: `${a} started following you` }),
  unfollow: (_d, a) => ({ title: "Unfollowed", body: `${a} stopped following you` }),
  follow_request: (_d, a) => ({ title: "Follow request", body: `${a} asked to follow you` }),
  follow_accepted: (_d, a) => ({ title: "Request accepted", body: `${a} accepted your follow request` }),
  post_like: (_d, a) => ({ title: "New reactions", body: `${a} reacted to your post` }),
  post_comment: (d, a) => ({ title: "New comment", body: `${a} commented on your post${quoted(d.data.preview)}` }),
  post_share: (_d, a) => ({ title: "Post shared", body: `${a} shared your post` }),
  post_mention: (d, a) => ({ title: "You were mentioned", body: `${a} mentioned you in a post${quoted(d.data.preview)}` }),
  comment_like: (_d, a) => ({ title: "New reactions", body: `${a} reacted to your comment` }),
  comment_reply: (d, a) => ({ title: "New reply", body: `${a} replied to your comment${quoted(d.data.preview)}` }),
  video_like: (_d, a) => ({ title: "New likes", body: `${a} liked your video` }),
  video_comment: (d, a) => ({ title: "New comment", body: `${a} commented on your video${quoted(d.data.preview)}` }),
  video_share: (_d, a) => ({ title: "Video shared", body: `${a} shared your video` }),
  video_processed: (d) => ({ title: "Your video is ready", body: d.data.subject ? `"${d.data.subject}" is ready to watch` : "Your video is ready to watch" }),
  video_published: (d, a) => ({ title: "New video", body: `${a} posted a video${d.data.subject ? `: "${d.data.subject}"` : ""}` }),
  post_published: (d, a) => ({ title: "New post", body: `${a} posted${quoted(d.data.preview)}` }),
  message: (d, a) => ({ title: a, body: d.data.preview ?? "New message" }),
  message_mention: (d, a) => ({ title: "You were mentioned", body: `${a} mentioned you${quoted(d.data.preview)}` }),
  group_invite: (d, a) => ({ title: "Added to a group", body: `${a} added you to ${d.data.subject ? `"${d.data.subject}"` : "a group"}` }),
  group_mention: (d, a) => ({ title: d.data.subject ?? "Group", body: `${a} mentioned you${quoted(d.data.preview)}` }),
  call_missed: (d, a) => ({ title: "Missed call", body: `You missed a ${d.data.subject === "video" ? "video" : "voice"} call from ${a}` }),
  system: (d) => ({ title: d.data.title ?? "Announcement", body: d.data.body ?? "" }),
};

/** The title and body of a notification, from its type, its actors' names and its data. */
export function renderTexts(doc: NotificationDoc, names: ReadonlyMap<string, string>): { title: string; body: string } {
  return RENDER[doc.type](doc, who(doc, names));
}
