-- API keys of a tenant's applications: shown once, stored as a SHA-256 of the key.
CREATE TABLE app_keys (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    app TEXT NOT NULL,
    key_id TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    creation_time TIMESTAMP NOT NULL
);
CREATE INDEX app_keys_tenant_app_idx ON app_keys (tenant_id, app);
