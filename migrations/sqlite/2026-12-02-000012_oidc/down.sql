DROP TABLE oidc_consents;
DROP TABLE oidc_codes;
DROP INDEX sessions_parent_idx;
ALTER TABLE sessions DROP COLUMN scope;
ALTER TABLE sessions DROP COLUMN auth_methods;
ALTER TABLE sessions DROP COLUMN auth_time;
ALTER TABLE sessions DROP COLUMN parent_id;
DROP TABLE oidc_signing_keys;
DROP TABLE oidc_clients;
