-- Each audit entry is chained to the previous entry of its tenant: hash = SHA-256(previous hash, content).
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE INDEX audit_log_tenant_id_idx ON audit_log (tenant_id, id);
