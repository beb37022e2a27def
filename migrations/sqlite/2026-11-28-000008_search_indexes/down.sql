DROP TRIGGER users_search_names_update;
DROP TRIGGER users_search_names_insert;
DROP TABLE user_search_names;
DROP INDEX users_search_order_idx;
