-- What a cached session check depends on records its changes here, for every process on this file to read (an
-- embedded store has no NOTIFY): a session's row, its user's row or allow-list, its tenant's row. Rows are read
-- in `seq` order and pruned once old; `at` is seconds since the epoch.
CREATE TABLE cache_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    tenant_id BIGINT NOT NULL,
    key BIGINT NOT NULL,
    at BIGINT NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
);

CREATE TRIGGER sessions_update_cache AFTER UPDATE ON sessions BEGIN
    INSERT INTO cache_changes (kind, tenant_id, key) VALUES ('session', OLD.tenant_id, OLD.id);
END;
CREATE TRIGGER sessions_delete_cache AFTER DELETE ON sessions BEGIN
    INSERT INTO cache_changes (kind, tenant_id, key) VALUES ('session', OLD.tenant_id, OLD.id);
END;
CREATE TRIGGER users_update_cache AFTER UPDATE ON users BEGIN
    INSERT INTO cache_changes (kind, tenant_id, key) VALUES ('user', OLD.tenant_id, OLD.id);
END;
CREATE TRIGGER users_delete_cache AFTER DELETE ON users BEGIN
    INSERT INTO cache_changes (kind, tenant_id, key) VALUES ('user', OLD.tenant_id, OLD.id);
END;
CREATE TRIGGER user_address_lists_insert_cache AFTER INSERT ON user_address_lists BEGIN
    INSERT INTO cache_changes (kind, tenant_id, key) VALUES ('user', NEW.tenant_id, NEW.user_pk);
END;
CREATE TRIGGER user_address_lists_update_cache AFTER UPDATE ON user_address_lists BEGIN
    INSERT INTO cache_changes (kind, tenant_id, key) VALUES ('user', OLD.tenant_id, OLD.user_pk);
END;
CREATE TRIGGER user_address_lists_delete_cache AFTER DELETE ON user_address_lists BEGIN
    INSERT INTO cache_changes (kind, tenant_id, key) VALUES ('user', OLD.tenant_id, OLD.user_pk);
END;
CREATE TRIGGER tenants_update_cache AFTER UPDATE ON tenants BEGIN
    INSERT INTO cache_changes (kind, tenant_id, key) VALUES ('tenant', OLD.id, OLD.id);
END;
CREATE TRIGGER tenants_delete_cache AFTER DELETE ON tenants BEGIN
    INSERT INTO cache_changes (kind, tenant_id, key) VALUES ('tenant', OLD.id, OLD.id);
END;
