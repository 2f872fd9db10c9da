import type { RequestHandler } from "express";
import { ipOrNull } from "../../shared/validation/ip-address.js";

/**
 * Pins `req.ip` to a real address. Express derives it from X-Forwarded-For
 * when the peer is a trusted proxy (TRUST_PROXY), and then returns whatever the
 * header says (`unknown`, `999.1.1.1`, `1.2.3.4:80`); such a value is ignored
 * and the socket's own address is used, so rate limits, sessions and the audit
 * log always see an address.
 */
export const clientAddress: RequestHandler = (req, _res, next) => {
  const ip = ipOrNull(req.ip) ?? ipOrNull(req.socket.remoteAddress) ?? "0.0.0.0";
  Object.defineProperty(req, "ip", { value: ip, configurable: true, enumerable: true });
  next();
};
