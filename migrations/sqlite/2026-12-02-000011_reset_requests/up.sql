-- Password-reset requests waiting for the outbox worker: a request stores one row whether or not anyone
-- matches its credential, so answering it takes the same work either way; the worker resolves the user,
-- makes the token and queues the message. The credential (a username or an e-mail address) is sealed with the
-- keyring; the requester's cid, app and address go with it for the audit trail.
CREATE TABLE reset_requests (
    id INTEGER PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    credential_sealed TEXT NOT NULL,
    cid TEXT NOT NULL,
    current_app TEXT NOT NULL,
    remote_addr TEXT,
    user_agent TEXT,
    creation_time TIMESTAMP NOT NULL
);
CREATE INDEX reset_requests_tenant_idx ON reset_requests (tenant_id, id);

