DROP TRIGGER tenants_cache_changed ON tenants;
DROP TRIGGER user_address_lists_cache_changed ON user_address_lists;
DROP TRIGGER users_cache_changed ON users;
DROP TRIGGER sessions_cache_changed ON sessions;
DROP FUNCTION gatehouse_cache_changed();
