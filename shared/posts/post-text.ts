import { MAX_HASHTAGS, MAX_MENTIONS } from "./post.types.js";

// A hashtag: # then letters, digits, underscores (Unicode letters too), not all digits.
const HASHTAG = /(^|[^\p{L}\p{N}_&/])#([\p{L}\p{N}_]{1,64})/gu;
// A mention: @username as profiles define usernames.
const MENTION = /(^|[^\p{L}\p{N}_@/.])@([A-Za-z0-9_]{3,30})(?![A-Za-z0-9_@])/gu;

/** Hashtags in `text`, lower-cased (NFKC), unique, in order of appearance. */
export function parseHashtags(text: string): string[] {
  const tags = new Set<string>();
  for (const match of text.matchAll(HASHTAG)) {
    const tag = (match[2] as string).normalize("NFKC").toLowerCase();
    if (/^\d+$/.test(tag)) continue;
    tags.add(tag);
    if (tags.size >= MAX_HASHTAGS) break;
  }
  return [...tags];
}

/** @usernames in `text`, lower-cased, unique, in order of appearance. */
export function parseMentions(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(MENTION)) {
    names.add((match[2] as string).toLowerCase());
    if (names.size >= MAX_MENTIONS) break;
  }
  return [...names];
}

/** A hashtag as a route parameter or query gives it: with or without '#', any case. */
export function normalizeHashtag(raw: string): string {
  return raw.replace(/^#/, "").normalize("NFKC").toLowerCase();
}
