-- User search in large tenants. Results are ordered by display name, username, sign-up time and user id: this
-- index gives a page in that order without sorting the tenant. Name criteria are upper-cased exact or substring
-- matches: a trigram index (pg_trgm) serves both. pg_trgm is a trusted extension, so a database owner may create
-- it; where the role may not, searches by name scan the tenant's users and the migration says so.
CREATE INDEX users_search_order_idx ON users (tenant_id, (display_name IS NULL), display_name, username, sign_up_time, user_id);

DO $$
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%): user searches by name will scan the tenant''s users', SQLERRM;
    END;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX users_names_trgm_idx ON users USING gin (
            upper(display_name) gin_trgm_ops,
            upper(first_name) gin_trgm_ops,
            upper(middle_name) gin_trgm_ops,
            upper(last_name) gin_trgm_ops
        );
    END IF;
END $$;
