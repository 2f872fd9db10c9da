/**
 * Who is acting: the verified claims of an access token (or what a service
 * passes on behalf of a user). Every service method that acts for a user takes it.
 */
export interface Actor {
  userId: string;
  /** The session the request or socket belongs to. */
  sessionId: string;
  roles: readonly string[];
}
