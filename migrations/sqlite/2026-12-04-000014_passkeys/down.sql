ALTER TABLE users DROP COLUMN passkey_count;
DROP TABLE webauthn_ceremonies;
DROP TABLE passkeys;
