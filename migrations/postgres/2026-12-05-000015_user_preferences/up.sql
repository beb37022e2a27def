-- What a user chooses for themselves on the account page, apart from their account: for now, the time zone the
-- pages show times in (an IANA name; without a row, the tenant's `main.time_zone`).
CREATE TABLE user_preferences (
    user_pk BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    time_zone TEXT
);

ALTER TABLE user_preferences ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_preferences FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_preferences
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);

-- A user's entries by operation and time: their last login (the console's users list), their entries in the log.
CREATE INDEX audit_log_target_idx ON audit_log (tenant_id, target_user_id, op, time);
