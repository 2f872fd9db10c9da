import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";

/**
 * Encrypts small secrets at rest (TOTP seeds) with AES-256-GCM and hashes
 * recovery codes with HMAC-SHA-256, both under keys derived (HKDF) from one
 * server secret, so a database dump alone reveals neither.
 */
export class SecretBox {
  private readonly encryptionKey: Buffer;
  private readonly hmacKey: Buffer;

  constructor(serverSecret: string) {
    this.encryptionKey = Buffer.from(hkdfSync("sha256", serverSecret, "chatwave-auth", "totp-secret-encryption", 32));
    this.hmacKey = Buffer.from(hkdfSync("sha256", serverSecret, "chatwave-auth", "recovery-code-hmac", 32));
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.encryptionKey, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ciphertext.toString("base64url")].join(".");
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, ciphertext] = sealed.split(".");
    if (version !== "v1" || !iv || !tag || ciphertext === undefined) throw new Error("unknown sealed-secret format");
    const decipher = createDecipheriv("aes-256-gcm", this.encryptionKey, Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
  }

  hmac(value: string): Buffer {
    return createHmac("sha256", this.hmacKey).update(value, "utf8").digest();
  }
}
