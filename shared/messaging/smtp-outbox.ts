import nodemailer, { type Transporter } from "nodemailer";
import type { Logger } from "../logging/logger.js";
import type { OutboundMessage, OutboundMessenger } from "./outbound-message.js";

/**
 * SMTP adapter (nodemailer, one pooled transport). E-mail goes to the SMTP
 * server; SMS has no provider here, so it is handed to `sms` (the logging
 * outbox) and a warning says so.
 */
export class SmtpOutbox implements OutboundMessenger {
  private readonly transport: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    private readonly sms: OutboundMessenger,
    private readonly logger: Logger,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  async send(message: OutboundMessage): Promise<void> {
    if (message.channel === "sms") {
      this.logger.warn({ kind: message.kind }, "no SMS provider is configured; the SMS goes to the development outbox");
      await this.sms.send(message);
      return;
    }
    await this.transport.sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text });
    this.logger.info({ kind: message.kind }, "e-mail sent");
  }

  close(): void {
    this.transport.close();
  }
}
