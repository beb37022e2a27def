-- User search: a page in the order of results (display name, username, sign-up time, user id) without sorting
-- the tenant, and the upper-cased names that name criteria are matched in, kept by triggers (the same table as
-- on PostgreSQL, where it lets indexes serve searches under row-level security).
CREATE INDEX users_search_order_idx ON users (tenant_id, (display_name IS NULL), display_name, username, sign_up_time, user_id);

CREATE TABLE user_search_names (
    user_pk INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
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

CREATE TRIGGER users_search_names_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_search_names (user_pk, tenant_id, display_name, first_name, middle_name, last_name)
    VALUES (NEW.id, NEW.tenant_id, upper(NEW.display_name), upper(NEW.first_name), upper(NEW.middle_name),
            upper(NEW.last_name));
END;

CREATE TRIGGER users_search_names_update AFTER UPDATE OF tenant_id, display_name, first_name, middle_name, last_name
    ON users BEGIN
    UPDATE user_search_names SET tenant_id = NEW.tenant_id, display_name = upper(NEW.display_name),
        first_name = upper(NEW.first_name), middle_name = upper(NEW.middle_name), last_name = upper(NEW.last_name)
    WHERE user_pk = NEW.id;
END;

INSERT INTO user_search_names (user_pk, tenant_id, display_name, first_name, middle_name, last_name)
    SELECT id, tenant_id, upper(display_name), upper(first_name), upper(middle_name), upper(last_name) FROM users;
