-- A transaction that appended to a tenant's audit log (holding its audit lock) and then queued mail waited for the
-- tenant's pending-work row, while one that had queued mail (holding that row) waited for the audit lock to
-- append: a deadlock, seen in `just bench` when password-reset requests met their resolution. Every change to a
-- tenant's pending work now takes the tenant's audit lock first (the one gatehouse_audit_head takes; held until
-- the transaction ends, and taken again at no cost by its own audit entry), so the two are always taken in the
-- same order: the audit lock, then the row.
CREATE OR REPLACE FUNCTION gatehouse_pending_work() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was INTEGER := 0;
    now_ INTEGER := 0;
    tenant BIGINT;
BEGIN
    IF TG_TABLE_NAME = 'outbox' THEN
        IF TG_OP <> 'INSERT' AND OLD.sent_time IS NULL AND OLD.failed_time IS NULL THEN was := 1; END IF;
        IF TG_OP <> 'DELETE' AND NEW.sent_time IS NULL AND NEW.failed_time IS NULL THEN now_ := 1; END IF;
    ELSE
        IF TG_OP <> 'INSERT' THEN was := 1; END IF;
        IF TG_OP <> 'DELETE' THEN now_ := 1; END IF;
    END IF;
    IF was = now_ THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN tenant := OLD.tenant_id; ELSE tenant := NEW.tenant_id; END IF;
    PERFORM pg_advisory_xact_lock(7243118, tenant::integer);
    -- A count goes down by an UPDATE only: a row deleted with its tenant (ON DELETE CASCADE) must not insert a
    -- count for a tenant that is going.
    IF now_ < was THEN
        IF TG_TABLE_NAME = 'outbox' THEN
            UPDATE tenant_pending_work SET mail = GREATEST(mail - 1, 0) WHERE tenant_id = tenant;
        ELSE
            UPDATE tenant_pending_work SET reset_requests = GREATEST(reset_requests - 1, 0) WHERE tenant_id = tenant;
        END IF;
    ELSIF TG_TABLE_NAME = 'outbox' THEN
        INSERT INTO tenant_pending_work (tenant_id, mail) VALUES (tenant, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET mail = tenant_pending_work.mail + 1;
    ELSE
        INSERT INTO tenant_pending_work (tenant_id, reset_requests) VALUES (tenant, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET reset_requests = tenant_pending_work.reset_requests + 1;
    END IF;
    RETURN NULL;
END
$$;
