-- Attributes of users and sessions, per-user IP allow-lists, TOTP enrolment and recovery codes, and whether a
-- user's e-mail address is confirmed.
CREATE TABLE attrs (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_pk BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_pk BIGINT REFERENCES sessions (id) ON DELETE CASCADE,
    -- '' for a user's attribute, the session's public id for a session's.
    scope TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    is_encrypted BOOLEAN NOT NULL,
    creation_time TIMESTAMP NOT NULL,
    last_modified TIMESTAMP,
    expiration_time TIMESTAMP NOT NULL,
    UNIQUE (user_pk, scope, name)
);
CREATE INDEX attrs_expiration_idx ON attrs (expiration_time);

CREATE TABLE user_address_lists (
    user_pk BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    addresses TEXT NOT NULL
);

CREATE TABLE totp_enrolments (
    user_pk BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    creation_time TIMESTAMP NOT NULL
);

CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_pk BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_time TIMESTAMP,
    UNIQUE (user_pk, code_hash)
);

ALTER TABLE users ADD COLUMN email_confirmed BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX sessions_tenant_user_idx ON sessions (tenant_id, user_pk);
