-- OpenID Connect provider, part 2. A grant is a family of app sessions: the code exchange starts it, every
-- refresh continues it with a new app session and a new refresh token (the old one is kept as used, so a
-- replay is recognised and ends the family). A grant without offline_access hangs on the browser's session
-- (sso_session_pk, checked by the domain: an offline grant outlives it, so no foreign key). Clients gain a
-- back-channel logout URI and the algorithm of their ID tokens; signing keys gain an algorithm, a time from
-- which they sign (a rotated-in key is published first) and a time after which they are no longer published.
CREATE TABLE oidc_grants (
    -- AUTOINCREMENT: a key is never given again, so nothing that names an ended grant can reach a new one.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_pk BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    app TEXT NOT NULL,
    scope TEXT NOT NULL,
    offline BOOLEAN NOT NULL,
    sso_session_pk BIGINT,
    sid TEXT NOT NULL,
    auth_time TIMESTAMP NOT NULL,
    auth_methods TEXT NOT NULL,
    remote_addr TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    creation_time TIMESTAMP NOT NULL,
    last_used_time TIMESTAMP NOT NULL,
    expiration_time TIMESTAMP NOT NULL
);
CREATE INDEX oidc_grants_user_idx ON oidc_grants (tenant_id, user_pk);
CREATE INDEX oidc_grants_app_idx ON oidc_grants (tenant_id, app);
CREATE INDEX oidc_grants_sso_idx ON oidc_grants (tenant_id, sso_session_pk);

CREATE TABLE oidc_refresh_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    grant_id BIGINT NOT NULL REFERENCES oidc_grants (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    creation_time TIMESTAMP NOT NULL,
    used_time TIMESTAMP
);
CREATE INDEX oidc_refresh_tokens_grant_idx ON oidc_refresh_tokens (grant_id);

ALTER TABLE sessions ADD COLUMN grant_id BIGINT REFERENCES oidc_grants (id) ON DELETE CASCADE;
CREATE INDEX sessions_grant_idx ON sessions (grant_id);
ALTER TABLE oidc_codes ADD COLUMN issued_grant_id BIGINT;
ALTER TABLE oidc_clients ADD COLUMN backchannel_logout_uri TEXT;
ALTER TABLE oidc_clients ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT 'RS256';
ALTER TABLE oidc_signing_keys ADD COLUMN alg TEXT NOT NULL DEFAULT 'RS256';
ALTER TABLE oidc_signing_keys ADD COLUMN activation_time TIMESTAMP;
ALTER TABLE oidc_signing_keys ADD COLUMN unpublish_time TIMESTAMP;
-- A key made on first use has no activation time, and there is one such key per tenant and algorithm: of two
-- first uses at once, the second finds the first's key. Keys made before (two could exist) sign from their
-- creation, which is what an activation time says.
UPDATE oidc_signing_keys SET activation_time = creation_time;
CREATE UNIQUE INDEX oidc_signing_keys_first_idx ON oidc_signing_keys (tenant_id, alg) WHERE activation_time IS NULL;
