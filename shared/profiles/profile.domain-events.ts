/** What the profiles domain announces. */
export interface ProfileDomainEvents {
  /** Fewer people may now see the user's status (a block, a narrower last-seen setting, a contact removed). */
  "profile.visibility-narrowed": { userId: string };
  /** Who may message the user changed (the `whoCanMessage` setting, either way): cached answers about them are dropped. */
  "profile.messaging-changed": { userId: string };
  /** A private account turned public: its waiting follow requests are accepted. */
  "profile.became-public": { userId: string };
  /** The profile was soft-deleted with its account: its follows go both ways. */
  "profile.deleted": { userId: string };
  /** An avatar was replaced or removed: the media domain drops this use of its upload (released when unused). */
  "profile.avatar-released": { userId: string; mediaId: string; ref: string };
}
