-- The pending steps of logins (a TOTP code, a new password): the sealed continuation a browser holds names a
-- nonce, stored here only as its SHA-256; the login that completes (or moves to its next step) deletes the row,
-- so a continuation is used once and lives at most until its expiration time.
CREATE TABLE login_continuations (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_pk BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    nonce_hash TEXT NOT NULL UNIQUE,
    expiration_time TIMESTAMP NOT NULL
);
CREATE INDEX login_continuations_user_idx ON login_continuations (user_pk);
CREATE INDEX login_continuations_expiration_idx ON login_continuations (expiration_time);
