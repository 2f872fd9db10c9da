import type { Config } from "../config/config.js";
import type { Logger } from "../logging/logger.js";
import { DevOutbox } from "./dev-outbox.js";
import type { OutboundMessenger } from "./outbound-message.js";
import { SmtpOutbox } from "./smtp-outbox.js";

/** The outbound adapter for this configuration: SMTP when SMTP_URL is set, else the development outbox. */
export function createOutboundMessenger(config: Pick<Config, "SMTP_URL" | "MAIL_FROM" | "NODE_ENV">, logger: Logger): { messenger: OutboundMessenger; outbox: DevOutbox } {
  const outbox = new DevOutbox(logger.child({ component: "outbox" }), 200, config.NODE_ENV !== "production");
  const messenger = config.SMTP_URL ? new SmtpOutbox(config.SMTP_URL, config.MAIL_FROM, outbox, logger.child({ component: "smtp" })) : outbox;
  return { messenger, outbox };
}
