import type { SessionRevokedEvent } from "../realtime/events.js";

/** What the identity domain announces (written to `outbox_events` in the revoking transaction). */
export interface AuthDomainEvents {
  /**
   * Sessions of a user ended (logout, revoke, revoke-others, password reset or change,
   * refresh-token reuse, account disabled): whatever belongs to them goes too (push subscriptions).
   */
  "auth.session-revoked": { userId: string; sessionIds: string[]; reason: SessionRevokedEvent["reason"] };
}
