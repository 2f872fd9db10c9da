import { z } from "zod";
import { joinPath } from "./mount-routes.js";
import type { RouteDefinition, RouteGroup } from "./route.js";

type JsonSchema = Record<string, unknown>;

/** A mounted set of route groups: `/api` for the API, the local storage path for object files. */
export interface RouteTree {
  base: string;
  groups: RouteGroup[];
}

/** The methods an `all` route is documented under (every OpenAPI operation but trace). */
export const ALL_METHODS = ["get", "put", "post", "delete", "options", "head", "patch"] as const;

/** Express 5 path syntax to OpenAPI's: `/:id/hls/:grant/*file` → `/{id}/hls/{grant}/{file}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/[:*]([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");
}

/** A request schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), as clients send it (before defaults and transforms). */
function jsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  return rest;
}

/** Path or query parameters: one per property of the part's object schema. */
function parameters(schema: z.ZodType | undefined, where: "path" | "query"): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema);
  const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((object.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    schema: property,
  }));
}

const ERROR_RESPONSE = { $ref: "#/components/responses/Error" };

function operation(route: RouteDefinition, tag: string): JsonSchema {
  const op: JsonSchema = {
    tags: [tag],
    summary: route.summary,
    "x-rate-class": route.rate,
  };
  if (route.auth === "required") op.security = [{ bearer: [] }];
  else if (route.auth === "optional") op.security = [{}, { bearer: [] }];
  else if (typeof route.auth === "object") {
    op.security = [{ bearer: [] }];
    op["x-required-role"] = route.auth.role;
  } else op.security = [];
  const params = [...parameters(route.params, "path"), ...parameters(route.query, "query")];
  if (params.length) op.parameters = params;
  if (route.body) {
    op.requestBody = {
      required: !route.body.safeParse(undefined).success,
      content: { "application/json": { schema: jsonSchema(route.body) } },
    };
  }
  const success = route.raw
    ? { description: "The resource itself", content: { [route.produces ?? "application/octet-stream"]: {} } }
    : { description: "Success", content: { "application/json": {} } };
  op.responses = { [String(route.status ?? 200)]: success, default: ERROR_RESPONSE };
  return op;
}

/**
 * The OpenAPI 3.1 document of every declared route, generated from the same
 * declarations (paths, auth, rate class, schemas) the API mounts and parses with.
 */
export function openApiDocument(trees: RouteTree[], info: { title: string; version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const { base, groups } of trees) {
    for (const group of groups) {
      for (const route of group.routes) {
        const path = openApiPath(joinPath(base, joinPath(group.prefix, route.path)));
        const item = (paths[path] ??= {});
        for (const method of route.method === "all" ? ALL_METHODS : [route.method]) {
          if (item[method]) throw new Error(`Two routes declare ${method.toUpperCase()} ${path}`);
          item[method] = operation(route, group.tag);
        }
      }
    }
  }
  return {
    openapi: "3.1.0",
    info,
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      responses: {
        Error: {
          description: "An error: its code, a message naming what failed, and details (for validation: location, path and message of each issue)",
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["error"],
                properties: {
                  error: {
                    type: "object",
                    required: ["code", "message"],
                    properties: { code: { type: "string" }, message: { type: "string" }, details: {} },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}
