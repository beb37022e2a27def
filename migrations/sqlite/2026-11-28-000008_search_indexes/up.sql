-- User search: a page in the order of results (display name, username, sign-up time, user id) without sorting
-- the tenant. (PostgreSQL also gets a trigram index for name criteria; SQLite has none.)
CREATE INDEX users_search_order_idx ON users (tenant_id, (display_name IS NULL), display_name, username, sign_up_time, user_id);
