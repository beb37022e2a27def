-- What a cached session check depends on announces its changes to every instance (NOTIFY gatehouse_cache, sent
-- when the transaction commits): a session's row, its user's row or allow-list, its tenant's row. Payloads are
-- `session TENANT ID`, `user TENANT PK` and `tenant PK`; PostgreSQL folds a transaction's identical ones into one.
-- The transaction is also marked (`gatehouse.cache_touched`), so the instance that made the change can wait for
-- its own notifications to arrive before it answers.
CREATE FUNCTION gatehouse_cache_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('gatehouse.cache_touched', 'on', true);
    IF TG_TABLE_NAME = 'sessions' THEN
        PERFORM pg_notify('gatehouse_cache', 'session ' || OLD.tenant_id || ' ' || OLD.id);
    ELSIF TG_TABLE_NAME = 'users' THEN
        PERFORM pg_notify('gatehouse_cache', 'user ' || OLD.tenant_id || ' ' || OLD.id);
    ELSIF TG_TABLE_NAME = 'user_address_lists' THEN
        IF TG_OP = 'INSERT' THEN
            PERFORM pg_notify('gatehouse_cache', 'user ' || NEW.tenant_id || ' ' || NEW.user_pk);
        ELSE
            PERFORM pg_notify('gatehouse_cache', 'user ' || OLD.tenant_id || ' ' || OLD.user_pk);
        END IF;
    ELSIF TG_TABLE_NAME = 'tenants' THEN
        PERFORM pg_notify('gatehouse_cache', 'tenant ' || OLD.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_cache_changed AFTER UPDATE OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION gatehouse_cache_changed();
CREATE TRIGGER users_cache_changed AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION gatehouse_cache_changed();
CREATE TRIGGER user_address_lists_cache_changed AFTER INSERT OR UPDATE OR DELETE ON user_address_lists
    FOR EACH ROW EXECUTE FUNCTION gatehouse_cache_changed();
CREATE TRIGGER tenants_cache_changed AFTER UPDATE OR DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION gatehouse_cache_changed();

-- TRUNCATE fires no row trigger: it says `everything`.
CREATE FUNCTION gatehouse_cache_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('gatehouse.cache_touched', 'on', true);
    PERFORM pg_notify('gatehouse_cache', 'everything');
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_cache_truncated AFTER TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_cache_truncated();
CREATE TRIGGER users_cache_truncated AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_cache_truncated();
CREATE TRIGGER user_address_lists_cache_truncated AFTER TRUNCATE ON user_address_lists
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_cache_truncated();
CREATE TRIGGER tenants_cache_truncated AFTER TRUNCATE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_cache_truncated();
