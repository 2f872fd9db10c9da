import { parsePhoneNumberWithError, type CountryCode } from "libphonenumber-js";
import { AppError } from "../errors/app-error.js";

/** A phone number in E.164 with its calling code ("+91"). */
export interface NormalisedPhone {
  e164: string;
  countryCode: string;
}

/**
 * Normalises a phone number to E.164. `countryCode` is either an ISO region
 * ("IN") or a calling code ("+91" / "91"), needed when `phone` is national.
 */
export function normalisePhone(phone: string, countryCode?: string, field = "phone"): NormalisedPhone {
  const invalid = (message: string) => new AppError("VALIDATION_FAILED", `Invalid input: ${field}: ${message}`, [{ path: field, message }]);
  let parsed;
  try {
    if (countryCode && /^[A-Za-z]{2}$/.test(countryCode)) {
      parsed = parsePhoneNumberWithError(phone, { defaultCountry: countryCode.toUpperCase() as CountryCode });
    } else if (countryCode) {
      parsed = parsePhoneNumberWithError(phone, { defaultCallingCode: countryCode.replace(/^\+/, "") });
    } else {
      parsed = parsePhoneNumberWithError(phone);
    }
  } catch {
    throw invalid(countryCode ? "is not a phone number" : "is not a phone number (use +<country code><number> or give countryCode)");
  }
  if (!parsed.isValid()) throw invalid("is not a valid phone number for its country");
  return { e164: parsed.number, countryCode: `+${parsed.countryCallingCode}` };
}
