/** A message to a person outside the product: an e-mail or an SMS. */
export interface OutboundMessage {
  channel: "email" | "sms";
  /** E-mail address or E.164 phone number. */
  to: string;
  /** What it is about, for logs and tests ("email_verification", "password_reset"...). */
  kind: string;
  /** E-mail subject (ignored for SMS). */
  subject: string;
  text: string;
}

/** A message as it was handed over, with when. */
export interface SentMessage extends OutboundMessage {
  sentAt: Date;
}

/**
 * The one port every outbound e-mail and SMS goes through. Adapters: SMTP
 * (nodemailer) when SMTP_URL is set, and a development outbox that logs and
 * keeps the last messages so tests and a local user can read the codes.
 */
export interface OutboundMessenger {
  send(message: OutboundMessage): Promise<void>;
}
