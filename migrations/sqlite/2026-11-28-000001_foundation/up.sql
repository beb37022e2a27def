-- Tenants, their setting overrides, users, sessions and the audit log. All times are naive UTC.
CREATE TABLE tenants (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    settings_version BIGINT NOT NULL DEFAULT 0,
    creation_time TIMESTAMP NOT NULL
);

CREATE TABLE tenant_settings (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    section TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    modified_time TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, section, name)
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL,
    is_super_user BOOLEAN NOT NULL DEFAULT FALSE,
    is_locked BOOLEAN NOT NULL DEFAULT FALSE,
    locked_time TIMESTAMP,
    locked_by TEXT,
    locked_until TIMESTAMP,
    approval_status TEXT NOT NULL CHECK (approval_status IN ('approved', 'rejected', 'before_decision')),
    approval_status_mod_time TIMESTAMP NOT NULL,
    approval_status_mod_by TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    password_must_change BOOLEAN NOT NULL,
    password_last_set TIMESTAMP NOT NULL,
    password_expiry TIMESTAMP NOT NULL,
    sign_up_status TEXT NOT NULL CHECK (sign_up_status IN ('before_confirmation', 'final')),
    sign_up_time TIMESTAMP NOT NULL,
    sign_up_confirm_time TIMESTAMP,
    email TEXT,
    email_hash TEXT,
    display_name TEXT,
    first_name TEXT,
    middle_name TEXT,
    last_name TEXT,
    is_totp_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    totp_key TEXT,
    totp_label TEXT,
    totp_last_step BIGINT,
    UNIQUE (tenant_id, username)
);
CREATE INDEX users_tenant_approval_idx ON users (tenant_id, approval_status);
CREATE INDEX users_tenant_email_hash_idx ON users (tenant_id, email_hash);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_pk BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL UNIQUE,
    creation_time TIMESTAMP NOT NULL,
    expiration_time TIMESTAMP NOT NULL,
    remote_addr TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    current_app TEXT NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_pk);
CREATE INDEX sessions_expiration_idx ON sessions (expiration_time);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    time TIMESTAMP NOT NULL,
    cid TEXT NOT NULL,
    op TEXT NOT NULL,
    current_user_id TEXT,
    target_user_id TEXT,
    result TEXT NOT NULL,
    sub_status TEXT,
    remote_addr TEXT,
    current_app TEXT,
    extra TEXT
);
CREATE INDEX audit_log_tenant_time_idx ON audit_log (tenant_id, time);
