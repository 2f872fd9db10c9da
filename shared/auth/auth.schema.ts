import { z } from "zod";
import { OPAQUE_TOKEN_PATTERN } from "./opaque-token.js";
import { PASSWORD_MAX_LENGTH } from "./password-policy.js";
import { multiLineText, singleLineText } from "../validation/text.js";

// Lengths are bounded generously here; the password policy applies the exact rules with clear messages.
const password = z.string().min(1).max(PASSWORD_MAX_LENGTH * 4);
const email = z.string().trim().max(254).pipe(z.email());
const phone = z.string().trim().min(3).max(32).regex(/^[+0-9 ()./-]+$/, "digits, spaces and + ( ) . / - only");
const countryCode = z.string().trim().regex(/^(\+?[0-9]{1,4}|[A-Za-z]{2})$/, "an ISO region (\"IN\") or a calling code (\"+91\")");
const fullName = singleLineText({ min: 1, max: 255 });
const opaqueToken = z.string().regex(OPAQUE_TOKEN_PATTERN, "is not a valid token");
const totpCode = z.string().regex(/^[0-9]{6}$/, "must be 6 digits");
const recoveryCode = z.string().trim().regex(/^[A-Za-z0-9]{5}-?[A-Za-z0-9]{5}$/, "must look like XXXXX-XXXXX");

/** Whether the runtime's time-zone database knows the name (it also knows aliases such as Asia/Kolkata). */
function isTimeZone(value: string): boolean {
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+){0,2}$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
export const timezone = z.string().max(50).refine(isTimeZone, "is not an IANA time zone");

/** Who is signing in: an e-mail, or a phone number (E.164, or national with its country). */
const identity = {
  email: email.optional(),
  phone: phone.optional(),
  countryCode: countryCode.optional(),
};
const oneIdentity = <T extends { email?: string | undefined; phone?: string | undefined }>(value: T) => (value.email === undefined) !== (value.phone === undefined);

export const registerSchema = z
  .strictObject({ ...identity, password, fullName, timezone: timezone.optional() })
  .refine((value) => value.email !== undefined || value.phone !== undefined, { message: "an e-mail or a phone number is required", path: ["email"] });
export type RegisterInput = z.infer<typeof registerSchema>;

export const loginSchema = z
  .strictObject({ ...identity, password })
  .refine(oneIdentity, { message: "give exactly one of email or phone", path: ["email"] });
export type LoginInput = z.infer<typeof loginSchema>;

export const twoFactorLoginSchema = z
  .strictObject({ challengeToken: z.string().min(10).max(2048), code: totpCode.optional(), recoveryCode: recoveryCode.optional() })
  .refine((value) => (value.code === undefined) !== (value.recoveryCode === undefined), { message: "give exactly one of code or recoveryCode", path: ["code"] });

export const emptyBodySchema = z.strictObject({});
export const refreshSchema = z.strictObject({ refreshToken: opaqueToken });
export const tokenSchema = z.strictObject({ token: opaqueToken });
export const forgotPasswordSchema = z
  .strictObject(identity)
  .refine(oneIdentity, { message: "give exactly one of email or phone", path: ["email"] });
export const resetPasswordSchema = z.strictObject({ token: opaqueToken, newPassword: password });
export const changePasswordSchema = z.strictObject({ currentPassword: password, newPassword: password });
export const sessionIdParams = z.strictObject({ id: z.uuid() });

export const twoFactorSetupSchema = z.strictObject({ password });
export const twoFactorEnableSchema = z.strictObject({ code: totpCode });
export const twoFactorDisableSchema = z
  .strictObject({ password, code: totpCode.optional(), recoveryCode: recoveryCode.optional() })
  .refine((value) => (value.code === undefined) !== (value.recoveryCode === undefined), { message: "give exactly one of code or recoveryCode", path: ["code"] });

export const updateMeSchema = z
  .strictObject({
    fullName: fullName.optional(),
    bio: multiLineText({ max: 500 }).nullable().optional(),
    profilePictureUrl: z.url({ protocol: /^https?$/ }).max(2048).nullable().optional(),
    timezone: timezone.optional(),
  })
  .refine((value) => Object.keys(value).length > 0, { message: "nothing to change" });
export type UpdateMeInput = z.infer<typeof updateMeSchema>;

export const adminListSchema = z.strictObject({
  query: singleLineText({ min: 1, max: 254 }).optional(),
  status: z.enum(["active", "disabled"]).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
});
export const userIdParams = z.strictObject({ id: z.uuid() });
export const roleName = z.string().regex(/^[a-z][a-z0-9_-]{1,49}$/, "is not a role name");
export const grantRoleSchema = z.strictObject({ role: roleName });
export const userRoleParams = z.strictObject({ id: z.uuid(), role: roleName });
export const disableUserSchema = z.strictObject({ reason: multiLineText({ min: 1, max: 500 }).optional() });
