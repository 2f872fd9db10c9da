-- Identity and access: users, RBAC, sessions and their tokens, audit trail, lockout.

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- E.164 ("+919876543210"); country_code is its calling code ("+91").
  phone_number varchar(20) UNIQUE,
  country_code varchar(10),
  email citext UNIQUE,
  password_hash text NOT NULL,
  full_name varchar(255) NOT NULL,
  bio text,
  profile_picture_url text,
  is_online boolean NOT NULL DEFAULT false,
  last_seen timestamptz NOT NULL DEFAULT now(),
  timezone varchar(50) NOT NULL DEFAULT 'Asia/Kolkata',
  email_verified_at timestamptz,
  phone_verified_at timestamptz,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  disabled_at timestamptz,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  -- Lockout: consecutive failures inside the window, and until when logins are refused.
  failed_login_count integer NOT NULL DEFAULT 0,
  last_failed_login_at timestamptz,
  locked_until timestamptz,
  -- TOTP: secrets are encrypted by the application; the last accepted time step blocks replays.
  totp_secret text,
  totp_pending_secret text,
  totp_enabled_at timestamptz,
  totp_last_step bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_contact_present CHECK (phone_number IS NOT NULL OR email IS NOT NULL),
  CONSTRAINT users_phone_with_country CHECK ((phone_number IS NULL) = (country_code IS NULL)),
  CONSTRAINT users_bio_length CHECK (bio IS NULL OR char_length(bio) <= 500)
);
CREATE INDEX idx_users_phone ON users (phone_number, country_code);
CREATE INDEX idx_users_online ON users (is_online);
CREATE INDEX idx_users_created ON users (created_at DESC, id DESC);
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE roles (
  id smallserial PRIMARY KEY,
  name varchar(50) NOT NULL UNIQUE,
  description text NOT NULL DEFAULT '',
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER roles_set_updated_at BEFORE UPDATE ON roles FOR EACH ROW EXECUTE FUNCTION set_updated_at();
INSERT INTO roles (name, description, is_default) VALUES
  ('user', 'Every registered account', true),
  ('moderator', 'Reviews reported content', false),
  ('admin', 'Manages accounts and roles', false);

CREATE TABLE user_roles (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role_id smallint NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  granted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, role_id)
);
CREATE INDEX idx_user_roles_role ON user_roles (role_id);

CREATE TABLE user_sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  ip inet,
  user_agent varchar(512),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoke_reason varchar(32)
);
CREATE INDEX idx_user_sessions_user_active ON user_sessions (user_id, last_used_at DESC) WHERE revoked_at IS NULL;
CREATE INDEX idx_user_sessions_expires ON user_sessions (expires_at);

-- Opaque refresh tokens, stored as SHA-256 hashes. Each rotation marks the
-- presented token used and links it to its replacement.
CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id uuid NOT NULL REFERENCES user_sessions (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE,
  parent_id uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
  replaced_by uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
  used_at timestamptz,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_refresh_tokens_session ON refresh_tokens (session_id);
CREATE INDEX idx_refresh_tokens_expires ON refresh_tokens (expires_at);

CREATE TABLE email_verification_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email citext NOT NULL,
  token_hash bytea NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_email_verification_user ON email_verification_tokens (user_id);
CREATE INDEX idx_email_verification_expires ON email_verification_tokens (expires_at);

CREATE TABLE password_reset_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  ip inet,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_password_reset_user ON password_reset_tokens (user_id);
CREATE INDEX idx_password_reset_expires ON password_reset_tokens (expires_at);

-- TOTP recovery codes: ten per enrolment, HMAC-hashed, each usable once.
CREATE TABLE two_factor_recovery_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash bytea NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, code_hash)
);

-- Append-only security trail: no foreign keys, so it outlives what it describes.
CREATE TABLE audit_logs (
  id bigserial PRIMARY KEY,
  user_id uuid,
  actor_id uuid,
  session_id uuid,
  event varchar(64) NOT NULL,
  ip inet,
  user_agent varchar(512),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_audit_logs_user ON audit_logs (user_id, created_at DESC);
CREATE INDEX idx_audit_logs_event ON audit_logs (event, created_at DESC);

CREATE OR REPLACE FUNCTION audit_logs_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_logs is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
  FOR EACH ROW EXECUTE FUNCTION audit_logs_refuse_change();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
  FOR EACH STATEMENT EXECUTE FUNCTION audit_logs_refuse_change();

CREATE TABLE login_attempts (
  id bigserial PRIMARY KEY,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  identifier varchar(320) NOT NULL,
  ip inet,
  success boolean NOT NULL,
  reason varchar(32),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_login_attempts_user ON login_attempts (user_id, created_at DESC);
CREATE INDEX idx_login_attempts_ip ON login_attempts (ip, created_at DESC);
CREATE INDEX idx_login_attempts_created ON login_attempts (created_at);

CREATE TABLE external_login_providers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  provider varchar(32) NOT NULL,
  subject varchar(255) NOT NULL,
  email citext,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider, subject)
);
CREATE INDEX idx_external_login_user ON external_login_providers (user_id);
CREATE TRIGGER external_login_providers_set_updated_at BEFORE UPDATE ON external_login_providers
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Users whose MongoDB profile is not yet written. Inserted in the registration
-- transaction and completed once the profile exists, so a failed profile write
-- is retried (job, daily maintenance, GET /api/me) until it succeeds.
CREATE TABLE profile_provisioning (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  display_name varchar(255) NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_profile_provisioning_created ON profile_provisioning (created_at);
CREATE TRIGGER profile_provisioning_set_updated_at BEFORE UPDATE ON profile_provisioning
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Counts one failed login against a user and locks the account when the
-- consecutive failures inside the window reach the threshold. Returns the new
-- count and lock time in one atomic statement, so parallel guesses all count.
CREATE OR REPLACE FUNCTION auth_record_login_failure(
  p_user_id uuid, p_threshold integer, p_window_seconds integer, p_lock_seconds integer
) RETURNS TABLE (failed_count integer, locked_until timestamptz)
LANGUAGE sql AS $$
  UPDATE users u SET
    failed_login_count = CASE
      WHEN u.last_failed_login_at > now() - make_interval(secs => p_window_seconds) THEN u.failed_login_count + 1
      ELSE 1 END,
    last_failed_login_at = now(),
    locked_until = CASE
      WHEN (CASE WHEN u.last_failed_login_at > now() - make_interval(secs => p_window_seconds)
                 THEN u.failed_login_count + 1 ELSE 1 END) >= p_threshold
      THEN now() + make_interval(secs => p_lock_seconds)
      ELSE u.locked_until END
  WHERE u.id = p_user_id
  RETURNING u.failed_login_count, u.locked_until;
$$;

-- Daily clean-up: removes expired or spent tokens, sessions past their end and
-- old login attempts, and reports how many rows of each it removed.
CREATE OR REPLACE FUNCTION auth_cleanup_expired_tokens(
  p_now timestamptz DEFAULT now(), p_attempts_retention interval DEFAULT interval '90 days'
) RETURNS TABLE (
  refresh_tokens integer, email_verification_tokens integer, password_reset_tokens integer,
  user_sessions integer, login_attempts integer
)
LANGUAGE plpgsql AS $$
DECLARE
  n_refresh integer; n_verify integer; n_reset integer; n_sessions integer; n_attempts integer;
BEGIN
  -- Sessions ended more than a day ago take their refresh tokens with them (cascade).
  DELETE FROM user_sessions s
   WHERE s.expires_at < p_now - interval '1 day'
      OR s.revoked_at < p_now - interval '1 day';
  GET DIAGNOSTICS n_sessions = ROW_COUNT;
  DELETE FROM refresh_tokens r WHERE r.expires_at < p_now;
  GET DIAGNOSTICS n_refresh = ROW_COUNT;
  DELETE FROM email_verification_tokens t WHERE t.expires_at < p_now OR t.used_at < p_now - interval '1 day';
  GET DIAGNOSTICS n_verify = ROW_COUNT;
  DELETE FROM password_reset_tokens t WHERE t.expires_at < p_now OR t.used_at < p_now - interval '1 day';
  GET DIAGNOSTICS n_reset = ROW_COUNT;
  DELETE FROM login_attempts a WHERE a.created_at < p_now - p_attempts_retention;
  GET DIAGNOSTICS n_attempts = ROW_COUNT;
  RETURN QUERY SELECT n_refresh, n_verify, n_reset, n_sessions, n_attempts;
END;
$$;

-- Operators grant the first administrator with:
--   SELECT auth_grant_role('someone@example.com', 'admin');
CREATE OR REPLACE FUNCTION auth_grant_role(p_email citext, p_role varchar) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  v_user uuid; v_role smallint;
BEGIN
  SELECT id INTO v_user FROM users WHERE email = p_email;
  SELECT id INTO v_role FROM roles WHERE name = p_role;
  IF v_user IS NULL OR v_role IS NULL THEN
    RAISE EXCEPTION 'no user with e-mail % or no role %', p_email, p_role;
  END IF;
  INSERT INTO user_roles (user_id, role_id) VALUES (v_user, v_role) ON CONFLICT DO NOTHING;
  INSERT INTO audit_logs (user_id, event, metadata) VALUES (v_user, 'role.granted', jsonb_build_object('role', p_role, 'by', 'sql'));
  RETURN FOUND;
END;
$$;
