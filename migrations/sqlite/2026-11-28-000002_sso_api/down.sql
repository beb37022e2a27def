DROP INDEX sessions_tenant_user_idx;
ALTER TABLE users DROP COLUMN email_confirmed;
DROP TABLE recovery_codes;
DROP TABLE totp_enrolments;
DROP TABLE user_address_lists;
DROP TABLE attrs;
