import assert from "node:assert/strict";
import type { Platform } from "../../shared/runtime/platform.js";
import type { Services } from "../../shared/runtime/services.js";
import { createTestPlatform } from "../helpers/platform.js";
import { createTestUser } from "../helpers/users.js";

describe("identity: database rules", () => {
  let platform: Platform;
  let services: Services;

  before(async () => {
    ({ platform, services } = await createTestPlatform());
  });
  after(async () => {
    await platform.close();
  });

  it("audit_logs is append-only: UPDATE, DELETE and TRUNCATE are refused", async () => {
    const user = await createTestUser(services);
    const { rows } = await platform.pg.query("SELECT count(*)::int AS n FROM audit_logs WHERE user_id = $1", [user.userId]);
    assert.ok(rows[0].n >= 1);
    await assert.rejects(platform.pg.query("UPDATE audit_logs SET event = 'tampered' WHERE user_id = $1", [user.userId]), /append-only: UPDATE refused/);
    await assert.rejects(platform.pg.query("DELETE FROM audit_logs WHERE user_id = $1", [user.userId]), /append-only: DELETE refused/);
    await assert.rejects(platform.pg.query("TRUNCATE audit_logs"), /append-only: TRUNCATE refused/);
    const after = await platform.pg.query("SELECT count(*)::int AS n FROM audit_logs WHERE user_id = $1 AND event <> 'tampered'", [user.userId]);
    assert.equal(after.rows[0].n, rows[0].n);
  });

  it("keeps e-mails unique without regard to case, phones unique, and every account reachable", async () => {
    const user = await createTestUser(services);
    await assert.rejects(
      platform.pg.query("INSERT INTO users (email, password_hash, full_name) VALUES ($1, 'x', 'x')", [user.email.toUpperCase()]),
      (error: { code?: string }) => error.code === "23505",
    );
    await assert.rejects(platform.pg.query("INSERT INTO users (password_hash, full_name) VALUES ('x', 'no contact')"), /users_contact_present/);
    await assert.rejects(platform.pg.query("INSERT INTO users (phone_number, password_hash, full_name) VALUES ('+14155550000', 'x', 'x')"), /users_phone_with_country/);
    const indexes = await platform.pg.query("SELECT indexname FROM pg_indexes WHERE tablename = 'users'");
    const names = indexes.rows.map((row) => row.indexname);
    for (const name of ["idx_users_phone", "idx_users_online"]) assert.ok(names.includes(name), name);
    const { rows } = await platform.pg.query("SELECT timezone, is_online FROM users WHERE id = $1", [user.userId]);
    assert.deepEqual(rows[0], { timezone: "Asia/Kolkata", is_online: false });
  });

  it("the SQL clean-up removes expired and spent tokens, reports the counts, and runs in the daily maintenance", async () => {
    const user = await createTestUser(services);
    const pg = platform.pg;
    await pg.query(
      `INSERT INTO email_verification_tokens (user_id, email, token_hash, expires_at)
       VALUES ($1, $2, gen_random_bytes(32), now() - interval '1 hour'), ($1, $2, gen_random_bytes(32), now() + interval '1 hour')`,
      [user.userId, user.email],
    );
    await pg.query(
      `INSERT INTO password_reset_tokens (user_id, token_hash, expires_at, used_at)
       VALUES ($1, gen_random_bytes(32), now() + interval '1 hour', now() - interval '2 days'), ($1, gen_random_bytes(32), now() - interval '1 minute', NULL)`,
      [user.userId],
    );
    const old = await pg.query<{ id: string }>(
      `INSERT INTO user_sessions (user_id, expires_at, revoked_at) VALUES ($1, now() + interval '1 day', now() - interval '2 days') RETURNING id`,
      [user.userId],
    );
    await pg.query(`INSERT INTO refresh_tokens (session_id, user_id, token_hash, expires_at) VALUES ($1, $2, gen_random_bytes(32), now() + interval '1 day')`, [old.rows[0]!.id, user.userId]);
    await pg.query(`INSERT INTO refresh_tokens (session_id, user_id, token_hash, expires_at) VALUES ($1, $2, gen_random_bytes(32), now() - interval '1 day')`, [user.sessionId, user.userId]);
    await pg.query(`INSERT INTO login_attempts (identifier, success, created_at) VALUES ('old', false, now() - interval '100 days')`);

    const results = await services.maintenance.run("daily");
    const counts = results["auth.expired-tokens"];
    assert.ok(counts, JSON.stringify(results));
    assert.ok(counts.email_verification_tokens! >= 1 && counts.password_reset_tokens! >= 2 && counts.user_sessions! >= 1 && counts.refresh_tokens! >= 1 && counts.login_attempts! >= 1, JSON.stringify(counts));
    const remaining = () => pg.query(
      `SELECT (SELECT count(*)::int FROM email_verification_tokens WHERE user_id = $1 AND expires_at > now()) AS live_verification,
              (SELECT count(*)::int FROM user_sessions WHERE id = $2) AS old_session,
              (SELECT count(*)::int FROM user_sessions WHERE id = $3) AS live_session`,
      [user.userId, old.rows[0]!.id, user.sessionId],
    );
    assert.deepEqual((await remaining()).rows[0], { live_verification: 2, old_session: 0, live_session: 1 });
    assert.equal((await services.accessGuard.authenticate(user.accessToken)).userId, user.userId);
    // Idempotent: a second run removes nothing more of this user's.
    await pg.query("SELECT * FROM auth_cleanup_expired_tokens(now())");
    assert.deepEqual((await remaining()).rows[0], { live_verification: 2, old_session: 0, live_session: 1 });
  });

  it("the lockout function counts only consecutive failures inside the window", async () => {
    const user = await createTestUser(services);
    const fail = async () => (await platform.pg.query("SELECT * FROM auth_record_login_failure($1, 3, 900, 600)", [user.userId])).rows[0];
    assert.equal((await fail()).failed_count, 1);
    await platform.pg.query("UPDATE users SET last_failed_login_at = now() - interval '16 minutes' WHERE id = $1", [user.userId]);
    assert.equal((await fail()).failed_count, 1, "a failure outside the window starts a new count");
    assert.equal((await fail()).locked_until, null);
    const third = await fail();
    assert.equal(third.failed_count, 3);
    assert.ok(third.locked_until instanceof Date && third.locked_until.getTime() > Date.now());
  });
});
