import type { z } from "zod";
import { AppError } from "../errors/app-error.js";
import { hasControlCharacter } from "./text.js";

const MAX_DEPTH = 12;

interface Forbidden {
  path: string;
  message: string;
}

const OPERATOR_KEY = "keys may not start with $ or contain a dot";
const CONTROL_TEXT = "text may not contain control characters";

/**
 * Finds the first key that could be read as a MongoDB operator or path, or the
 * first string (key or value) holding a control character other than newline
 * and tab, anywhere in the input.
 */
function findForbidden(value: unknown, path: string, depth: number): Forbidden | undefined {
  if (depth > MAX_DEPTH) return { path: `${path} (nested too deeply)`, message: OPERATOR_KEY };
  if (typeof value === "string") return hasControlCharacter(value, true) ? { path, message: CONTROL_TEXT } : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findForbidden(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  for (const [key, nested] of Object.entries(value)) {
    const keyPath = path ? `${path}.${key}` : key;
    if (key.startsWith("$") || key.includes(".") || key === "__proto__") return { path: keyPath, message: OPERATOR_KEY };
    if (hasControlCharacter(key)) return { path: keyPath.replace(/[\p{Cc}\p{Cs}]/gu, "?"), message: CONTROL_TEXT };
    const found = findForbidden(nested, keyPath, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Parses untrusted input with its schema. `$`-prefixed or dotted keys are refused
 * before the schema runs, so no input can smuggle a MongoDB operator, and so is
 * any control character but newline and tab (NUL included) in any string; the
 * schemas' `singleLineText` fields refuse newline and tab too. With a
 * `location` (an HTTP request's path, query or body) every issue names it.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = "input", location?: "path" | "query" | "body"): z.infer<S> {
  const where = location === undefined ? {} : { location };
  const forbidden = findForbidden(input, "", 0);
  if (forbidden !== undefined) {
    const message = forbidden.message === OPERATOR_KEY ? `key "${forbidden.path}" is not allowed` : `${forbidden.path || "value"}: ${forbidden.message}`;
    throw new AppError("VALIDATION_FAILED", `Invalid ${what}: ${message}`, [{ ...where, path: forbidden.path, message: forbidden.message }]);
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      ...where,
      path: issue.path.map(String).join("."),
      message: issue.message,
    }));
    const first = issues[0];
    throw new AppError(
      "VALIDATION_FAILED",
      `Invalid ${what}${first ? `: ${first.path ? `${first.path}: ` : ""}${first.message}` : ""}`,
      issues,
    );
  }
  return result.data;
}
