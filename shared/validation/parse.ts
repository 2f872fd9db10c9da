import type { z } from "zod";
import { AppError } from "../errors/app-error.js";

const MAX_DEPTH = 12;

/** Finds the first key that could be read as a MongoDB operator or path, anywhere in the input. */
function findOperatorKey(value: unknown, path: string, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `${path} (nested too deeply)`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findOperatorKey(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== "object") return undefined;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  for (const [key, nested] of Object.entries(value)) {
    if (key.startsWith("$") || key.includes(".") || key === "__proto__") return path ? `${path}.${key}` : key;
    const found = findOperatorKey(nested, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Parses untrusted input with its schema. `$`-prefixed or dotted keys are refused
 * before the schema runs, so no input can smuggle a MongoDB operator.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = "input"): z.infer<S> {
  const operatorKey = findOperatorKey(input, "", 0);
  if (operatorKey !== undefined) {
    throw new AppError("VALIDATION_FAILED", `Invalid ${what}: key "${operatorKey}" is not allowed`, [
      { path: operatorKey, message: "keys may not start with $ or contain a dot" },
    ]);
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
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
