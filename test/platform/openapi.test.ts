import assert from "node:assert/strict";
import { METHODS } from "node:http";
import { createApp } from "../../api/app.js";
import { ALL_METHODS, openApiPath } from "../../api/http/openapi.js";
import { startApi, type ApiServer } from "../../api/server.js";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { httpCall } from "../helpers/http.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createTestUser } from "../helpers/users.js";

interface Operation {
  security: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: { required: boolean };
  "x-rate-class": string;
  "x-required-role"?: string;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

/** Every route Express has mounted on the app, as `METHOD /openapi/{path}`. */
function mountedRoutes(platform: Platform, services: Services): Set<string> {
  const app = createApp({ platform, services }) as unknown as { router: { stack: RouteLayer[] } };
  const routes = new Set<string>();
  for (const layer of app.router.stack) {
    if (!layer.route) continue;
    const own = layer.route.methods;
    // `all` registers every method Node knows; the document lists the OpenAPI ones.
    const methods = METHODS.every((m) => own[m.toLowerCase()]) ? [...ALL_METHODS] : Object.keys(own).filter((m) => own[m]);
    for (const method of methods) routes.add(`${method.toUpperCase()} ${openApiPath(layer.route.path)}`);
  }
  return routes;
}

describe("API: declared routes and the OpenAPI document", function () {
  let platform: Platform;
  let services: Services;
  let server: ApiServer;
  let base: string;
  let document: Document;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
    server = await startApi(platform, services, 0);
    base = `http://127.0.0.1:${server.port}`;
    const response = await httpCall<Document>(base, "GET", "/api/openapi.json");
    assert.equal(response.status, 200);
    document = response.body;
  });
  after(async () => {
    await server.close();
    await platform.close();
  });

  it("lists every mounted Express route, and nothing Express does not serve", () => {
    assert.equal(document.openapi, "3.1.0");
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const mounted = mountedRoutes(platform, services);
    assert.ok(mounted.size > 100, `only ${mounted.size} routes mounted`);
    assert.deepEqual([...mounted].filter((r) => !documented.has(r)), [], "mounted but not documented");
    assert.deepEqual([...documented].filter((r) => !mounted.has(r)), [], "documented but not mounted");
  });

  it("describes each operation's path parameters, auth and rate class", () => {
    for (const [path, item] of Object.entries(document.paths)) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const [method, op] of Object.entries(item)) {
        const label = `${method.toUpperCase()} ${path}`;
        const declared = (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name).sort();
        assert.deepEqual(declared, inPath, `${label}: path parameters`);
        assert.ok(Array.isArray(op.security), `${label}: security`);
        assert.equal(typeof op["x-rate-class"], "string", `${label}: rate class`);
      }
    }
    const register = document.paths["/api/auth/register"]!.post!;
    assert.deepEqual(register.security, []);
    assert.equal(register["x-rate-class"], "authIp");
    assert.equal(register.requestBody?.required, true);
    assert.deepEqual(document.paths["/api/chat/conversations"]!.get!.security, [{ bearer: [] }]);
    assert.deepEqual(document.paths["/api/posts/{postId}"]!.get!.security, [{}, { bearer: [] }]);
    assert.equal(document.paths["/api/admin/users"]!.get!["x-required-role"], "admin");
    assert.equal(document.paths["/api/admin/users/{id}/enable"]!.post!.requestBody?.required, false);
    const history = document.paths["/api/chat/conversations/{id}/messages"]!.get!.parameters!;
    assert.deepEqual(history.map((p) => `${p.in}:${p.name}`).sort(), ["path:id", "query:after", "query:before", "query:limit"]);
  });

  it("refuses bad input with a 400 naming the location and the field", async () => {
    const user = await createTestUser(services);
    const path = await httpCall(base, "GET", "/api/chat/conversations/not-an-id", { token: user.accessToken });
    assert.equal(path.status, 400);
    assert.equal(path.body.error.code, "VALIDATION_FAILED");
    assert.match(path.body.error.message, /^Invalid path: id: /);
    assert.deepEqual(path.body.error.details.map((d: { location: string; path: string }) => [d.location, d.path]), [["path", "id"]]);

    const query = await httpCall(base, "GET", "/api/chat/conversations?limit=500", { token: user.accessToken });
    assert.equal(query.status, 400);
    assert.deepEqual([query.body.error.details[0].location, query.body.error.details[0].path], ["query", "limit"]);

    const body = await httpCall(base, "PATCH", "/api/profiles/me", { token: user.accessToken, body: { bio: 42 } });
    assert.equal(body.status, 400);
    assert.match(body.body.error.message, /^Invalid body: bio: /);
    assert.deepEqual([body.body.error.details[0].location, body.body.error.details[0].path], ["body", "bio"]);

    // The path's ids belong to the path: a body repeating them is refused, not merged.
    const conversation = await httpCall(base, "POST", "/api/chat/conversations", { token: user.accessToken, body: { type: "group", title: "Routes" } });
    assert.equal(conversation.status, 201);
    const id = conversation.body.conversation.id as string;
    const extra = await httpCall(base, "PUT", `/api/chat/conversations/${id}/read`, { token: user.accessToken, body: { conversationId: id, seq: 0 } });
    assert.equal(extra.status, 400);
    assert.equal(extra.body.error.details[0].location, "body");
    const ok = await httpCall(base, "PUT", `/api/chat/conversations/${id}/read`, { token: user.accessToken, body: { seq: 0 } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  });

  it("checks a role route's role in PostgreSQL, after the token, the rate class and the input", async () => {
    const user = await createTestUser(services);
    const anonymous = await httpCall(base, "GET", "/api/admin/users");
    assert.equal(anonymous.status, 401);
    const refused = await httpCall(base, "GET", "/api/admin/users", { token: user.accessToken });
    assert.equal(refused.status, 403);
    assert.ok(refused.headers.get("ratelimit-remaining"), "the rate class is consumed before the role check");
    const malformed = await httpCall(base, "GET", "/api/admin/users?limit=0", { token: user.accessToken });
    assert.equal(malformed.status, 400, "bad input is refused as such whoever asks");
    // Granted after the token was issued: the same token now passes.
    await services.admin.grantRoleAsSystem(user.userId, "admin");
    const allowed = await httpCall(base, "GET", "/api/admin/users?limit=1", { token: user.accessToken });
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
  });
});
