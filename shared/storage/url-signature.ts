import { createHmac, timingSafeEqual } from "node:crypto";

/** What a signed local-storage URL grants: one method on one key until `expires` (Unix seconds). */
export interface UrlGrant {
  method: "GET" | "PUT";
  key: string;
  expires: number;
  contentType?: string;
  contentLength?: number;
  disposition?: string;
}

const PARAMS = { method: "X-Method", expires: "X-Expires", contentType: "X-Type", contentLength: "X-Length", disposition: "X-Disposition", signature: "X-Signature" } as const;

function canonical(grant: UrlGrant): string {
  return [grant.method, grant.key, grant.expires, grant.contentType ?? "", grant.contentLength ?? "", grant.disposition ?? ""].join("\n");
}

/** HMAC-SHA256 signatures for the URLs the API serves local-storage objects under. */
export class UrlSigner {
  constructor(private readonly secret: string) {}

  sign(grant: UrlGrant): string {
    return createHmac("sha256", this.secret).update(canonical(grant)).digest("base64url");
  }

  /** The query string of a URL carrying `grant`. */
  query(grant: UrlGrant): string {
    const params = new URLSearchParams();
    params.set(PARAMS.method, grant.method);
    params.set(PARAMS.expires, String(grant.expires));
    if (grant.contentType !== undefined) params.set(PARAMS.contentType, grant.contentType);
    if (grant.contentLength !== undefined) params.set(PARAMS.contentLength, String(grant.contentLength));
    if (grant.disposition !== undefined) params.set(PARAMS.disposition, grant.disposition);
    params.set(PARAMS.signature, this.sign(grant));
    return params.toString();
  }

  /**
   * The grant a request's query carries for `key` and `method`, or the reason
   * it carries none ("missing", "tampered", "expired").
   */
  verify(key: string, method: string, query: Record<string, unknown>, now = Date.now()): UrlGrant | "missing" | "tampered" | "expired" {
    const one = (name: string): string | undefined => {
      const value = query[name];
      return typeof value === "string" ? value : undefined;
    };
    const signature = one(PARAMS.signature);
    const expires = one(PARAMS.expires);
    if (!signature || !expires) return "missing";
    if (one(PARAMS.method) !== method || !/^\d{1,12}$/.test(expires)) return "tampered";
    const length = one(PARAMS.contentLength);
    if (length !== undefined && !/^\d{1,16}$/.test(length)) return "tampered";
    const grant: UrlGrant = { method: method as UrlGrant["method"], key, expires: Number(expires) };
    const contentType = one(PARAMS.contentType);
    if (contentType !== undefined) grant.contentType = contentType;
    if (length !== undefined) grant.contentLength = Number(length);
    const disposition = one(PARAMS.disposition);
    if (disposition !== undefined) grant.disposition = disposition;
    const expected = Buffer.from(this.sign(grant));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return "tampered";
    if (grant.expires * 1000 < now) return "expired";
    return grant;
  }
}
