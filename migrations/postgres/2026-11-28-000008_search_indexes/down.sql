DROP TRIGGER users_search_names ON users;
DROP FUNCTION gatehouse_user_search_names();
DROP TABLE user_search_names;
DROP INDEX users_search_order_idx;
