DROP INDEX users_search_order_idx;
