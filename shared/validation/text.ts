import { z } from "zod";

/**
 * Control characters (C0, DEL, C1) and lone surrogates never belong in text a
 * user sends; line breaks (LF, and the CR of CRLF) and tab are allowed only
 * where text is multi-line (WebRTC session descriptions are CRLF-separated).
 * PostgreSQL refuses NUL in `text`, so a NUL that got through would be a 500.
 */
const CONTROL = /[\p{Cc}\p{Cs}]/u;
const CONTROL_EXCEPT_LINES = /[^\P{Cc}\n\r\t]|\p{Cs}/u;

/** Whether `value` holds a control character (other than LF, CR and tab when `multiline`). */
export function hasControlCharacter(value: string, multiline = false): boolean {
  return (multiline ? CONTROL_EXCEPT_LINES : CONTROL).test(value);
}

interface TextOptions {
  min?: number;
  max: number;
  /** Trim surrounding white space first (default true). */
  trim?: boolean;
}

function text(options: TextOptions, multiline: boolean) {
  const base = options.trim === false ? z.string() : z.string().trim();
  return base
    .min(options.min ?? 0)
    .max(options.max)
    .refine((value) => !hasControlCharacter(value, multiline), multiline ? "contains control characters" : "contains control characters or line breaks");
}

/** One line of user text (names, titles, queries): no control characters, no newline or tab. */
export const singleLineText = (options: TextOptions) => text(options, false);

/** Multi-line user text (bios, message text, descriptions): newline and tab allowed, other control characters refused. */
export const multiLineText = (options: TextOptions) => text(options, true);
