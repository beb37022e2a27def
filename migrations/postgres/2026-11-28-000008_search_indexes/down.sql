DROP INDEX IF EXISTS users_names_trgm_idx;
DROP INDEX users_search_order_idx;
