-- Migration 19 had the pending-work trigger take the tenant's audit lock before it touched the tenant's row, so
-- mail queued after an audit entry and an audit entry after queued mail took the two in one order. It made a
-- new cycle: resolving a password-reset request took the audit lock at its first statement and then needed a
-- share lock on the user's row (the new reset link's foreign key), while a login held that row for update and
-- then asked for the audit lock to append its entry.
--
-- The triggers now run when the transaction commits (deferred constraint triggers), without the audit lock: the
-- pending-work row is the last lock a transaction takes, after all its own work, so no transaction waits for
-- anything else while it holds one. A tenant deleted with work waiting: its row goes by the cascade first, and
-- the decrements at commit find nothing to change.
DROP TRIGGER outbox_pending_work ON outbox;
DROP TRIGGER reset_requests_pending_work ON reset_requests;

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

CREATE CONSTRAINT TRIGGER outbox_pending_work AFTER INSERT OR UPDATE OR DELETE ON outbox
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gatehouse_pending_work();
CREATE CONSTRAINT TRIGGER reset_requests_pending_work AFTER INSERT OR DELETE ON reset_requests
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gatehouse_pending_work();

-- The audit lock's second key is an integer: a tenant id beyond its range (ids are BIGINT) is folded into it by
-- hashing, where it could only make two tenants' appends take turns; ids within it keep their key, the one every
-- earlier version takes.
CREATE OR REPLACE FUNCTION gatehouse_audit_head(tenant bigint) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head text;
BEGIN
    PERFORM pg_advisory_xact_lock(
        7243118,
        CASE WHEN tenant BETWEEN 0 AND 2147483647 THEN tenant::integer ELSE hashint8(tenant) END
    );
    SELECT hash INTO head FROM audit_log WHERE tenant_id = tenant ORDER BY id DESC LIMIT 1;
    RETURN head;
END
$$;
