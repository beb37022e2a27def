-- One-time e-mail links: sign-up confirmation and confirmation of a changed address (the new address waits
-- here until confirmed); password resets; and counters of requests that send e-mail, for abuse limits.
-- Tokens are stored as SHA-256 only.
CREATE TABLE email_tokens (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_pk BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('signup', 'email_change')),
    token_hash TEXT NOT NULL UNIQUE,
    new_email TEXT,
    new_email_hash TEXT,
    creation_time TIMESTAMP NOT NULL,
    expiration_time TIMESTAMP NOT NULL,
    used_time TIMESTAMP
);

CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_pk BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    creation_time TIMESTAMP NOT NULL,
    expiration_time TIMESTAMP NOT NULL,
    access_time TIMESTAMP,
    reset_key_hash TEXT,
    reset_key_expiration TIMESTAMP,
    used_time TIMESTAMP
);

CREATE TABLE request_counters (
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind, subject, window_start)
);
