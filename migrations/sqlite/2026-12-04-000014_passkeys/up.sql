-- Passkeys (WebAuthn credentials). A passkey belongs to one user of one tenant; its credential id is unique in
-- the tenant, and the user handle it was made with is the same for all of a user's passkeys (it is how a
-- username-less login finds the user). `credential` is webauthn-rs's record of the key (public key, counter,
-- backup flags), refreshed after each use; the counter and the backup flags are also kept as columns to be
-- read and compared. Users keep a count of their passkeys, written only with the passkeys, so every check of
-- an account (a login, each use of a session) knows whether a passkey is a factor without another query.
-- A ceremony is the server's half of a registration or an authentication in progress: taken once, for five
-- minutes, by the SHA-256 of the handle the browser (or the REST client) holds.
CREATE TABLE passkeys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_pk BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    passkey_id TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    user_handle TEXT NOT NULL,
    name TEXT NOT NULL,
    credential TEXT NOT NULL,
    sign_count BIGINT NOT NULL,
    backup_eligible BOOLEAN NOT NULL,
    backup_state BOOLEAN NOT NULL,
    creation_time TIMESTAMP NOT NULL,
    last_used_time TIMESTAMP,
    UNIQUE (tenant_id, credential_id),
    UNIQUE (tenant_id, passkey_id)
);
CREATE INDEX passkeys_user_idx ON passkeys (tenant_id, user_pk);

CREATE TABLE webauthn_ceremonies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    handle_hash TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL,
    user_pk BIGINT REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    expiration_time TIMESTAMP NOT NULL
);
CREATE INDEX webauthn_ceremonies_expiry_idx ON webauthn_ceremonies (tenant_id, expiration_time);

ALTER TABLE users ADD COLUMN passkey_count INTEGER NOT NULL DEFAULT 0;

