DROP TABLE user_preferences;
DROP INDEX audit_log_target_idx;
