DROP TABLE app_keys;
