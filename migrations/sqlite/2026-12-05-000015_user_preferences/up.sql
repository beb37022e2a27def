-- What a user chooses for themselves on the account page, apart from their account: for now, the time zone the
-- pages show times in (an IANA name; without a row, the tenant's `main.time_zone`).
CREATE TABLE user_preferences (
    user_pk BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    time_zone TEXT
);

-- A user's entries by operation and time: their last login (the console's users list), their entries in the log.
CREATE INDEX audit_log_target_idx ON audit_log (tenant_id, target_user_id, op, time);
