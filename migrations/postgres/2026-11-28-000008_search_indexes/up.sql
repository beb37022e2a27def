-- User search in large tenants.
--
-- Results are ordered by display name, username, sign-up time and user id: this index gives a page in that
-- order without sorting the tenant.
CREATE INDEX users_search_order_idx ON users (tenant_id, (display_name IS NULL), display_name, username, sign_up_time, user_id);

-- Name criteria (upper-cased, exact or substring) are matched in user_search_names, which a trigger keeps equal to
-- the upper-cased names of users. The table has no row-level security of its own, on purpose: under a policy,
-- PostgreSQL may use an index only for conditions whose functions are leakproof, and upper() and LIKE are not,
-- so a search by name would read every user of the tenant. The table is only ever read as a filter of user ids
-- inside a query on users, whose policy still decides which rows come back.
CREATE TABLE user_search_names (
    user_pk BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    display_name TEXT,
    first_name TEXT,
    middle_name TEXT,
    last_name TEXT
);
CREATE INDEX user_search_names_display_idx ON user_search_names (tenant_id, display_name);
CREATE INDEX user_search_names_first_idx ON user_search_names (tenant_id, first_name);
CREATE INDEX user_search_names_middle_idx ON user_search_names (tenant_id, middle_name);
CREATE INDEX user_search_names_last_idx ON user_search_names (tenant_id, last_name);

CREATE FUNCTION gatehouse_user_search_names() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_search_names (user_pk, tenant_id, display_name, first_name, middle_name, last_name)
    VALUES (NEW.id, NEW.tenant_id, upper(NEW.display_name), upper(NEW.first_name), upper(NEW.middle_name),
            upper(NEW.last_name))
    ON CONFLICT (user_pk) DO UPDATE SET
        tenant_id = EXCLUDED.tenant_id,
        display_name = EXCLUDED.display_name,
        first_name = EXCLUDED.first_name,
        middle_name = EXCLUDED.middle_name,
        last_name = EXCLUDED.last_name;
    RETURN NULL;
END $$;

CREATE TRIGGER users_search_names AFTER INSERT OR UPDATE OF tenant_id, display_name, first_name, middle_name, last_name
    ON users FOR EACH ROW EXECUTE FUNCTION gatehouse_user_search_names();

-- The users that exist already (the policy is lifted for the owner for this copy only).
ALTER TABLE users NO FORCE ROW LEVEL SECURITY;
INSERT INTO user_search_names (user_pk, tenant_id, display_name, first_name, middle_name, last_name)
    SELECT id, tenant_id, upper(display_name), upper(first_name), upper(middle_name), upper(last_name) FROM users;
ALTER TABLE users FORCE ROW LEVEL SECURITY;

-- Substring criteria: a trigram index (pg_trgm, a trusted extension a database owner may create). Where the role
-- may not create it, substring searches scan the tenant's names and the migration says so.
DO $$
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%): user searches by name substring will scan the tenant''s names', SQLERRM;
    END;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX user_search_names_trgm_idx ON user_search_names USING gin (
            display_name gin_trgm_ops, first_name gin_trgm_ops, middle_name gin_trgm_ops, last_name gin_trgm_ops
        );
    END IF;
END $$;
