-- oldest version: 0.10.0
-- Second factors on top of the magic link (docs/second-factors.md): TOTP and passkeys, recovery
-- codes (only their SHA-256), each account's failure counts and lockouts, a history of what was
-- added, used, locked and unlocked (with the admin's reason), the requirement an admin sets, and
-- when each login last used a second factor (making tokens and opening consoles need a recent one).
-- Only additions: hubs of 0.10.0 keep serving (they do not ask for second factors).
CREATE TABLE IF NOT EXISTS second_factors (
  id             bigserial PRIMARY KEY,
  account        text NOT NULL REFERENCES accounts(email) ON DELETE CASCADE,
  kind           text NOT NULL CHECK (kind IN ('totp', 'passkey')),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_at     timestamptz NOT NULL DEFAULT now(),
  last_used_at   timestamptz,
  totp_secret    text,    -- Fernet-encrypted with hub_secrets' second_factor_key
  totp_last_step bigint,  -- the last 30-second step a code was accepted for: each code works once
  credential_id  bytea UNIQUE,
  public_key     bytea,
  sign_count     bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
  CHECK ((kind = 'totp') = (totp_secret IS NOT NULL)),
  CHECK ((kind = 'passkey') = (credential_id IS NOT NULL AND public_key IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS second_factors_account ON second_factors (account);
CREATE UNIQUE INDEX IF NOT EXISTS second_factors_one_totp ON second_factors (account) WHERE kind = 'totp';
CREATE TABLE IF NOT EXISTS recovery_codes (
  id         bigserial PRIMARY KEY,
  account    text NOT NULL REFERENCES accounts(email) ON DELETE CASCADE,
  code_hash  text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at    timestamptz
);
CREATE INDEX IF NOT EXISTS recovery_codes_account ON recovery_codes (account);
CREATE TABLE IF NOT EXISTS second_factor_locks (
  account          text PRIMARY KEY REFERENCES accounts(email) ON DELETE CASCADE,
  totp_failures    integer NOT NULL DEFAULT 0 CHECK (totp_failures >= 0),  -- wrong codes since the last right one
  failures         integer NOT NULL DEFAULT 0 CHECK (failures >= 0),       -- of any factor since the last lockout
  totp_locked_at   timestamptz,  -- TOTP refused until an admin unlocks it (or the person replaces it)
  all_locked_until timestamptz   -- every factor refused until then
);
CREATE TABLE IF NOT EXISTS second_factor_events (
  id      bigserial PRIMARY KEY,
  account text NOT NULL REFERENCES accounts(email) ON DELETE CASCADE,
  at      timestamptz NOT NULL DEFAULT now(),
  event   text NOT NULL CHECK (event IN ('added', 'removed', 'used', 'failed', 'locked_totp', 'locked_all',
                                         'unlocked', 'recovery_codes_made')),
  kind    text CHECK (kind IN ('totp', 'passkey', 'recovery_code')),
  detail  text CHECK (length(detail) <= 200),
  admin   text,
  reason  text CHECK (length(reason) BETWEEN 1 AND 500)
);
CREATE INDEX IF NOT EXISTS second_factor_events_account ON second_factor_events (account, at);
CREATE TABLE IF NOT EXISTS second_factor_policy (
  only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  required_from timestamptz NOT NULL,  -- from then on an account without a second factor must add one first
  set_by        text NOT NULL,
  set_at        timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE login_sessions ADD COLUMN IF NOT EXISTS second_factor_at timestamptz;
