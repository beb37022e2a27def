-- OpenID Connect provider, part 1. A tenant's app may be an OpenID Connect client (its settings in
-- oidc_clients); each tenant signs ID tokens with its own RSA keys (the private key sealed with the keyring);
-- an authorization code is stored as its SHA-256, used once; consent is remembered per user, app and scope set.
-- A session made for an app by a grant hangs on the browser's (SSO) session and ends with it.
CREATE TABLE oidc_clients (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    app TEXT NOT NULL,
    client_name TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    confidential BOOLEAN NOT NULL,
    secret_hash TEXT,
    consent_required BOOLEAN NOT NULL,
    creation_time TIMESTAMP NOT NULL,
    modified_time TIMESTAMP NOT NULL,
    UNIQUE (tenant_id, app)
);

CREATE TABLE oidc_signing_keys (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kid TEXT NOT NULL UNIQUE,
    private_sealed TEXT NOT NULL,
    creation_time TIMESTAMP NOT NULL
);
CREATE INDEX oidc_signing_keys_tenant_idx ON oidc_signing_keys (tenant_id, id);

ALTER TABLE sessions ADD COLUMN parent_id BIGINT REFERENCES sessions (id) ON DELETE CASCADE;
ALTER TABLE sessions ADD COLUMN auth_time TIMESTAMP;
ALTER TABLE sessions ADD COLUMN auth_methods TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE sessions ADD COLUMN scope TEXT;
CREATE INDEX sessions_parent_idx ON sessions (parent_id);

CREATE TABLE oidc_codes (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL UNIQUE,
    app TEXT NOT NULL,
    sso_session_id BIGINT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT,
    creation_time TIMESTAMP NOT NULL,
    expiration_time TIMESTAMP NOT NULL,
    used_time TIMESTAMP,
    issued_session_id TEXT
);
CREATE INDEX oidc_codes_tenant_idx ON oidc_codes (tenant_id, expiration_time);

CREATE TABLE oidc_consents (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_pk BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    app TEXT NOT NULL,
    scope TEXT NOT NULL,
    creation_time TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, user_pk, app)
);
