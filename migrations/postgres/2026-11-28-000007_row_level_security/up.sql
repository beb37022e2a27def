-- Row-level security: every tenant-owned table shows and accepts only the rows of the tenant that the
-- current transaction named with set_config('gatehouse.tenant_id', ..., true). FORCE makes the policies bind
-- the owning role too, so the application (an ordinary role that owns its tables) cannot read across tenants
-- even through a query that forgets its tenant filter. A transaction that named no tenant sees nothing.
-- Foreign-key cascades (deleting a tenant) run as the table owner without FORCE, so they still reach every row.

ALTER TABLE tenant_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_settings
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sessions
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);

ALTER TABLE attrs ENABLE ROW LEVEL SECURITY;
ALTER TABLE attrs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON attrs
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);

ALTER TABLE user_address_lists ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_address_lists FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_address_lists
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);

ALTER TABLE totp_enrolments ENABLE ROW LEVEL SECURITY;
ALTER TABLE totp_enrolments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON totp_enrolments
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);

ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE recovery_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON recovery_codes
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);

ALTER TABLE app_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE app_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON app_keys
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);

ALTER TABLE email_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON email_tokens
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);

ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_resets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON password_resets
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);

ALTER TABLE request_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE request_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON request_counters
    USING (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT)
    WITH CHECK (tenant_id = NULLIF(current_setting('gatehouse.tenant_id', true), '')::BIGINT);
