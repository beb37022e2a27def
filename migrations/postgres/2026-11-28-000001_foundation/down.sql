DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE tenant_settings;
DROP TABLE tenants;
