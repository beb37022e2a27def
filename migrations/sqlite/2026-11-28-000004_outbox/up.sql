-- The durable mail outbox: messages are written in the transaction of the change that causes them and
-- delivered by a background sender with retries. Bodies are cleared once a message is sent.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    creation_time TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_time TIMESTAMP NOT NULL,
    last_error TEXT,
    sent_time TIMESTAMP,
    failed_time TIMESTAMP
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_time) WHERE sent_time IS NULL AND failed_time IS NULL;
