import { AppError } from "../errors/app-error.js";
import type { Actor } from "./actor.js";
import type { AuditRepository } from "./audit.repository.js";
import type { Transactor } from "../db/transactor.js";
import type { SessionRevoker } from "./session-revoker.js";
import type { SessionRepository } from "./session.repository.js";
import type { UserRepository } from "./user.repository.js";
import { toAccountView, type AccountView, type RequestMeta } from "./user.types.js";

export const ADMIN_ROLE = "admin";

/** Account administration, for holders of the `admin` role (checked in PostgreSQL on every call). */
export class AdminService {
  constructor(
    private readonly db: Transactor,
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly revoker: SessionRevoker,
    private readonly audit: AuditRepository,
  ) {}

  /** Accounts newest first; `cursor` is the `nextCursor` of the previous page. */
  async listUsers(actor: Actor, options: { query?: string | undefined; status?: "active" | "disabled" | undefined; cursor?: string | undefined; limit: number }): Promise<{ users: AccountView[]; nextCursor: string | null }> {
    await this.assertAdmin(actor);
    const beforeId = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const page = await this.users.list({ query: options.query, status: options.status, beforeId, limit: options.limit + 1 });
    const users = page.slice(0, options.limit);
    const roles = await this.users.rolesOf(users.map((user) => user.id));
    const last = users.at(-1);
    return {
      users: users.map((user) => toAccountView(user, roles.get(user.id) ?? [])),
      nextCursor: page.length > options.limit && last ? Buffer.from(last.id, "utf8").toString("base64url") : null,
    };
  }

  /** Disables an account: every session ends and every socket drops, at once. */
  async disable(actor: Actor, userId: string, reason: string | undefined, meta: RequestMeta): Promise<{ disabled: true; revokedSessions: number }> {
    await this.assertAdmin(actor);
    if (userId === actor.userId) throw new AppError("CONFLICT", "You cannot disable your own account");
    const revocation = await this.db.run(async (client) => {
      if (!(await this.users.findByIdForUpdate(client, userId))) throw new AppError("USER_NOT_FOUND", "No such user");
      await this.users.setStatus(userId, "disabled", client);
      const ids = await this.sessions.revokeAll(userId, "disabled", null, client);
      await this.audit.insert({ event: "user.disabled", userId, actorId: actor.userId, sessionId: actor.sessionId, ip: meta.ip, userAgent: meta.userAgent, metadata: { reason: reason ?? null, sessionsRevoked: ids.length } }, client);
      return this.revoker.record(client, userId, ids, "disabled");
    });
    await this.revoker.userDisabled(userId, revocation);
    return { disabled: true, revokedSessions: revocation.sessionIds.length };
  }

  async enable(actor: Actor, userId: string, meta: RequestMeta): Promise<{ enabled: true }> {
    await this.assertAdmin(actor);
    if (!(await this.users.findById(userId))) throw new AppError("USER_NOT_FOUND", "No such user");
    await this.db.run(async (client) => {
      if (await this.users.setStatus(userId, "active", client)) {
        await this.audit.insert({ event: "user.enabled", userId, actorId: actor.userId, sessionId: actor.sessionId, ip: meta.ip, userAgent: meta.userAgent }, client);
      }
    });
    await this.revoker.userEnabled(userId);
    return { enabled: true };
  }

  async grantRole(actor: Actor, userId: string, role: string, meta: RequestMeta): Promise<{ roles: string[] }> {
    await this.assertAdmin(actor);
    return this.grant(userId, role, actor.userId, { sessionId: actor.sessionId, ...meta });
  }

  /**
   * Grants a role outside any request: operator scripts and test fixtures.
   * Never reachable from a route.
   */
  async grantRoleAsSystem(userId: string, role: string): Promise<{ roles: string[] }> {
    return this.grant(userId, role, null, {});
  }

  async revokeRole(actor: Actor, userId: string, role: string, meta: RequestMeta): Promise<{ roles: string[] }> {
    await this.assertAdmin(actor);
    if (userId === actor.userId && role === ADMIN_ROLE) throw new AppError("CONFLICT", "You cannot remove your own admin role");
    if (!(await this.users.roleExists(role))) throw new AppError("ROLE_NOT_FOUND", `No role named "${role}"`);
    if (!(await this.users.findById(userId))) throw new AppError("USER_NOT_FOUND", "No such user");
    await this.db.run(async (client) => {
      if (await this.users.revokeRole(userId, role, client)) {
        await this.audit.insert({ event: "role.revoked", userId, actorId: actor.userId, sessionId: actor.sessionId, ip: meta.ip, userAgent: meta.userAgent, metadata: { role } }, client);
      }
    });
    return { roles: await this.users.roles(userId) };
  }

  private async grant(userId: string, role: string, actorId: string | null, context: RequestMeta & { sessionId?: string }): Promise<{ roles: string[] }> {
    if (!(await this.users.roleExists(role))) throw new AppError("ROLE_NOT_FOUND", `No role named "${role}"`);
    if (!(await this.users.findById(userId))) throw new AppError("USER_NOT_FOUND", "No such user");
    await this.db.run(async (client) => {
      if (await this.users.grantRole(userId, role, actorId, client)) {
        await this.audit.insert({ event: "role.granted", userId, actorId, sessionId: context.sessionId, ip: context.ip, userAgent: context.userAgent, metadata: { role } }, client);
      }
    });
    return { roles: await this.users.roles(userId) };
  }

  /** Whether the user holds the role now (PostgreSQL, not the token's claims, so a revoked role stops at once). */
  async hasRole(actor: Actor, role: string): Promise<boolean> {
    return (await this.users.roles(actor.userId)).includes(role);
  }

  private async assertAdmin(actor: Actor): Promise<void> {
    if (!(await this.hasRole(actor, ADMIN_ROLE))) throw new AppError("FORBIDDEN", "Administrators only");
  }
}

/** Cursors are the last account id of a page, opaque to clients. */
function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw new AppError("VALIDATION_FAILED", "Invalid input: cursor: is not a cursor from this list", [{ path: "cursor", message: "invalid cursor" }]);
  }
  return id;
}
