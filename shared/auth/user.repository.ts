import type pg from "pg";
import type { Queryable } from "./pg-transaction.js";
import type { UserRecord } from "./user.types.js";

const COLUMNS = `id, email::text AS email, phone_number, country_code, full_name, bio, profile_picture_url, timezone,
  is_online, last_seen, email_verified_at, phone_verified_at, status, disabled_at, password_hash, password_changed_at,
  locked_until, totp_secret, totp_pending_secret, totp_enabled_at, totp_last_step, created_at, updated_at`;

interface UserRow {
  id: string;
  email: string | null;
  phone_number: string | null;
  country_code: string | null;
  full_name: string;
  bio: string | null;
  profile_picture_url: string | null;
  timezone: string;
  is_online: boolean;
  last_seen: Date;
  email_verified_at: Date | null;
  phone_verified_at: Date | null;
  status: "active" | "disabled";
  disabled_at: Date | null;
  password_hash: string;
  password_changed_at: Date;
  locked_until: Date | null;
  totp_secret: string | null;
  totp_pending_secret: string | null;
  totp_enabled_at: Date | null;
  totp_last_step: string | null;
  created_at: Date;
  updated_at: Date;
}

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    email: row.email,
    phoneNumber: row.phone_number,
    countryCode: row.country_code,
    fullName: row.full_name,
    bio: row.bio,
    profilePictureUrl: row.profile_picture_url,
    timezone: row.timezone,
    isOnline: row.is_online,
    lastSeen: row.last_seen,
    emailVerifiedAt: row.email_verified_at,
    phoneVerifiedAt: row.phone_verified_at,
    status: row.status,
    disabledAt: row.disabled_at,
    passwordHash: row.password_hash,
    passwordChangedAt: row.password_changed_at,
    lockedUntil: row.locked_until,
    totpSecret: row.totp_secret,
    totpPendingSecret: row.totp_pending_secret,
    totpEnabledAt: row.totp_enabled_at,
    totpLastStep: row.totp_last_step === null ? null : Number(row.totp_last_step),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface NewUser {
  email: string | null;
  phoneNumber: string | null;
  countryCode: string | null;
  fullName: string;
  passwordHash: string;
  timezone?: string | undefined;
}

export interface ProfileChanges {
  fullName?: string | undefined;
  bio?: string | null | undefined;
  profilePictureUrl?: string | null | undefined;
  timezone?: string | undefined;
}

/** The `users` table and its RBAC tables. */
export class UserRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Inserts the account with the default role(s); run inside the registration transaction. */
  async insert(client: Queryable, user: NewUser): Promise<UserRecord> {
    const { rows } = await client.query<UserRow>(
      `INSERT INTO users (email, phone_number, country_code, full_name, password_hash, timezone)
       VALUES ($1, $2, $3, $4, $5, COALESCE($6, 'Asia/Kolkata'))
       RETURNING ${COLUMNS}`,
      [user.email, user.phoneNumber, user.countryCode, user.fullName, user.passwordHash, user.timezone ?? null],
    );
    const record = toRecord(rows[0]!);
    await client.query(
      `INSERT INTO user_roles (user_id, role_id) SELECT $1, id FROM roles WHERE is_default`,
      [record.id],
    );
    return record;
  }

  async findById(id: string, client: Queryable = this.pool): Promise<UserRecord | undefined> {
    const { rows } = await client.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] && toRecord(rows[0]);
  }

  /** Locks the row for the rest of the transaction (2FA steps, password changes). */
  async findByIdForUpdate(client: pg.PoolClient, id: string): Promise<UserRecord | undefined> {
    const { rows } = await client.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] && toRecord(rows[0]);
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE email = $1`, [email]);
    return rows[0] && toRecord(rows[0]);
  }

  async findByPhone(phoneNumber: string): Promise<UserRecord | undefined> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE phone_number = $1`, [phoneNumber]);
    return rows[0] && toRecord(rows[0]);
  }

  async roles(userId: string, client: Queryable = this.pool): Promise<string[]> {
    const { rows } = await client.query<{ name: string }>(
      `SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1 ORDER BY r.name`,
      [userId],
    );
    return rows.map((row) => row.name);
  }

  /** Roles of several users at once (admin listing). */
  async rolesOf(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const { rows } = await this.pool.query<{ user_id: string; name: string }>(
      `SELECT ur.user_id, r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
        WHERE ur.user_id = ANY($1::uuid[]) ORDER BY r.name`,
      [userIds],
    );
    const byUser = new Map<string, string[]>(userIds.map((id) => [id, []]));
    for (const row of rows) byUser.get(row.user_id)?.push(row.name);
    return byUser;
  }

  async roleExists(name: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(`SELECT 1 FROM roles WHERE name = $1`, [name]);
    return (rowCount ?? 0) > 0;
  }

  /** True when the role was newly granted. */
  async grantRole(userId: string, role: string, grantedBy: string | null, client: Queryable = this.pool): Promise<boolean> {
    const { rowCount } = await client.query(
      `INSERT INTO user_roles (user_id, role_id, granted_by)
       SELECT $1, id, $3 FROM roles WHERE name = $2
       ON CONFLICT DO NOTHING`,
      [userId, role, grantedBy],
    );
    return (rowCount ?? 0) > 0;
  }

  /** True when the user had the role. */
  async revokeRole(userId: string, role: string, client: Queryable = this.pool): Promise<boolean> {
    const { rowCount } = await client.query(
      `DELETE FROM user_roles ur USING roles r WHERE ur.role_id = r.id AND ur.user_id = $1 AND r.name = $2`,
      [userId, role],
    );
    return (rowCount ?? 0) > 0;
  }

  async updatePasswordHash(userId: string, passwordHash: string, changed: boolean, client: Queryable = this.pool): Promise<void> {
    await client.query(
      `UPDATE users SET password_hash = $2, password_changed_at = CASE WHEN $3 THEN now() ELSE password_changed_at END
        WHERE id = $1`,
      [userId, passwordHash, changed],
    );
  }

  /** Counts a failure; returns the lock time when this failure locked the account. */
  async recordLoginFailure(userId: string, threshold: number, windowSeconds: number, lockSeconds: number): Promise<{ failedCount: number; lockedUntil: Date | null }> {
    const { rows } = await this.pool.query<{ failed_count: number; locked_until: Date | null }>(
      `SELECT failed_count, locked_until FROM auth_record_login_failure($1, $2, $3, $4)`,
      [userId, threshold, windowSeconds, lockSeconds],
    );
    return { failedCount: rows[0]?.failed_count ?? 0, lockedUntil: rows[0]?.locked_until ?? null };
  }

  async resetLoginFailures(userId: string): Promise<void> {
    await this.pool.query(
      `UPDATE users SET failed_login_count = 0, last_failed_login_at = NULL, locked_until = NULL
        WHERE id = $1 AND (failed_login_count <> 0 OR locked_until IS NOT NULL)`,
      [userId],
    );
  }

  async updateProfile(userId: string, changes: ProfileChanges, client: Queryable = this.pool): Promise<UserRecord | undefined> {
    const { rows } = await client.query<UserRow>(
      `UPDATE users SET
         full_name = CASE WHEN $2 THEN $3 ELSE full_name END,
         bio = CASE WHEN $4 THEN $5 ELSE bio END,
         profile_picture_url = CASE WHEN $6 THEN $7 ELSE profile_picture_url END,
         timezone = CASE WHEN $8 THEN $9 ELSE timezone END
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [
        userId,
        changes.fullName !== undefined, changes.fullName ?? null,
        changes.bio !== undefined, changes.bio ?? null,
        changes.profilePictureUrl !== undefined, changes.profilePictureUrl ?? null,
        changes.timezone !== undefined, changes.timezone ?? null,
      ],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /** Sets the status; returns false when it already had it. */
  async setStatus(userId: string, status: "active" | "disabled", client: Queryable = this.pool): Promise<boolean> {
    const { rowCount } = await client.query(
      `UPDATE users SET status = $2, disabled_at = CASE WHEN $2 = 'disabled' THEN now() ELSE NULL END
        WHERE id = $1 AND status <> $2`,
      [userId, status],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Marks the e-mail verified if it is still the account's address. */
  async markEmailVerified(userId: string, email: string, client: Queryable = this.pool): Promise<boolean> {
    const { rowCount } = await client.query(
      `UPDATE users SET email_verified_at = COALESCE(email_verified_at, now()) WHERE id = $1 AND email = $2`,
      [userId, email],
    );
    return (rowCount ?? 0) > 0;
  }

  async setPendingTotpSecret(userId: string, encryptedSecret: string, client: Queryable = this.pool): Promise<void> {
    await client.query(`UPDATE users SET totp_pending_secret = $2 WHERE id = $1`, [userId, encryptedSecret]);
  }

  async enableTotp(client: Queryable, userId: string, encryptedSecret: string, step: number): Promise<void> {
    await client.query(
      `UPDATE users SET totp_secret = $2, totp_pending_secret = NULL, totp_enabled_at = now(), totp_last_step = $3 WHERE id = $1`,
      [userId, encryptedSecret, step],
    );
  }

  async disableTotp(client: Queryable, userId: string): Promise<void> {
    await client.query(
      `UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL WHERE id = $1`,
      [userId],
    );
  }

  /**
   * Accepts a TOTP time step only if it is later than the last accepted one:
   * one statement, so two requests with the same code cannot both pass.
   */
  async claimTotpStep(userId: string, step: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)`,
      [userId, step],
    );
    return (rowCount ?? 0) > 0;
  }

  /** A page of accounts, newest first, keyset-paginated on (created_at, id) after the account `beforeId`. */
  async list(options: { query?: string | undefined; status?: "active" | "disabled" | undefined; beforeId?: string | undefined; limit: number }): Promise<UserRecord[]> {
    const { rows } = await this.pool.query<UserRow>(
      `SELECT ${COLUMNS} FROM users
        WHERE ($1::text IS NULL OR status = $1)
          AND ($2::text IS NULL OR email = $2::citext OR phone_number = $2 OR full_name ILIKE '%' || $3 || '%')
          AND ($4::uuid IS NULL OR (created_at, id) < (SELECT b.created_at, b.id FROM users b WHERE b.id = $4::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $5`,
      [
        options.status ?? null,
        options.query ?? null,
        options.query?.replace(/[\\%_]/g, (ch) => `\\${ch}`) ?? null,
        options.beforeId ?? null,
        options.limit,
      ],
    );
    return rows.map(toRecord);
  }
}
