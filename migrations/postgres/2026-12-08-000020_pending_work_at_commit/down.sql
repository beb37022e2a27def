-- As migrations 18 and 19 left them.
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

CREATE TRIGGER outbox_pending_work AFTER INSERT OR UPDATE OR DELETE ON outbox
    FOR EACH ROW EXECUTE FUNCTION gatehouse_pending_work();
CREATE TRIGGER reset_requests_pending_work AFTER INSERT OR DELETE ON reset_requests
    FOR EACH ROW EXECUTE FUNCTION gatehouse_pending_work();

CREATE OR REPLACE FUNCTION gatehouse_audit_head(tenant bigint) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head text;
BEGIN
    PERFORM pg_advisory_xact_lock(7243118, tenant::integer);
    SELECT hash INTO head FROM audit_log WHERE tenant_id = tenant ORDER BY id DESC LIMIT 1;
    RETURN head;
END
$$;
