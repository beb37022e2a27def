DROP TABLE request_counters;
DROP TABLE password_resets;
DROP TABLE email_tokens;
