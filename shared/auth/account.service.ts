import type pg from "pg";
import { AppError } from "../errors/app-error.js";
import type { AccessClaims } from "./access-token.js";
import type { AuditRepository } from "./audit.repository.js";
import type { UpdateMeInput } from "./auth.schema.js";
import { withTransaction } from "./pg-transaction.js";
import type { ProfileProvisioner } from "./profile-provisioner.js";
import type { UserRepository } from "./user.repository.js";
import { toAccountView, type AccountView, type RequestMeta } from "./user.types.js";

/** The signed-in user's own account (`/api/me`). */
export class AccountService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly users: UserRepository,
    private readonly provisioner: ProfileProvisioner,
    private readonly audit: AuditRepository,
  ) {}

  /** The account; also completes a profile that an earlier write failed to create. */
  async get(actor: AccessClaims): Promise<AccountView> {
    const user = await this.users.findById(actor.userId);
    if (!user) throw new AppError("USER_NOT_FOUND", "No such user");
    await this.provisioner.repairQuietly(user.id);
    return toAccountView(user, await this.users.roles(user.id));
  }

  async update(actor: AccessClaims, changes: UpdateMeInput, meta: RequestMeta): Promise<AccountView> {
    // The change and its audit record commit together, or neither does.
    const user = await withTransaction(this.pool, async (client) => {
      const updated = await this.users.updateProfile(actor.userId, changes, client);
      if (!updated) throw new AppError("USER_NOT_FOUND", "No such user");
      await this.audit.insert({ event: "account.updated", userId: updated.id, sessionId: actor.sessionId, ip: meta.ip, userAgent: meta.userAgent, metadata: { fields: Object.keys(changes).sort() } }, client);
      return updated;
    });
    return toAccountView(user, await this.users.roles(user.id));
  }

  /** Roles straight from PostgreSQL (access tokens carry a copy that may be minutes old). */
  async roles(userId: string): Promise<string[]> {
    return this.users.roles(userId);
  }

  /** Whether the account exists and is active (other domains validate user ids with it). */
  async isActive(userId: string): Promise<boolean> {
    const user = await this.users.findById(userId);
    return user?.status === "active";
  }
}
