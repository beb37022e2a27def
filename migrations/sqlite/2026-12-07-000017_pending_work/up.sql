-- Which tenants have work waiting for the background sender (see the PostgreSQL migration): counts kept by
-- triggers, never below zero, filled here from the rows already waiting.
CREATE TABLE tenant_pending_work (
    tenant_id BIGINT PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    mail BIGINT NOT NULL DEFAULT 0,
    reset_requests BIGINT NOT NULL DEFAULT 0
);

INSERT INTO tenant_pending_work (tenant_id, mail)
    SELECT tenant_id, COUNT(*) FROM outbox WHERE sent_time IS NULL AND failed_time IS NULL GROUP BY tenant_id;
INSERT INTO tenant_pending_work (tenant_id, reset_requests)
    SELECT tenant_id, COUNT(*) FROM reset_requests WHERE true GROUP BY tenant_id
    ON CONFLICT (tenant_id) DO UPDATE SET reset_requests = excluded.reset_requests;

CREATE TRIGGER outbox_insert_pending AFTER INSERT ON outbox
    WHEN NEW.sent_time IS NULL AND NEW.failed_time IS NULL BEGIN
    INSERT INTO tenant_pending_work (tenant_id, mail) VALUES (NEW.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET mail = mail + 1;
END;
CREATE TRIGGER outbox_update_done AFTER UPDATE ON outbox
    WHEN OLD.sent_time IS NULL AND OLD.failed_time IS NULL
        AND NOT (NEW.sent_time IS NULL AND NEW.failed_time IS NULL) BEGIN
    UPDATE tenant_pending_work SET mail = MAX(mail - 1, 0) WHERE tenant_id = OLD.tenant_id;
END;
CREATE TRIGGER outbox_update_again AFTER UPDATE ON outbox
    WHEN NOT (OLD.sent_time IS NULL AND OLD.failed_time IS NULL)
        AND NEW.sent_time IS NULL AND NEW.failed_time IS NULL BEGIN
    INSERT INTO tenant_pending_work (tenant_id, mail) VALUES (NEW.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET mail = mail + 1;
END;
CREATE TRIGGER outbox_delete_pending AFTER DELETE ON outbox
    WHEN OLD.sent_time IS NULL AND OLD.failed_time IS NULL BEGIN
    UPDATE tenant_pending_work SET mail = MAX(mail - 1, 0) WHERE tenant_id = OLD.tenant_id;
END;
CREATE TRIGGER reset_requests_insert_pending AFTER INSERT ON reset_requests BEGIN
    INSERT INTO tenant_pending_work (tenant_id, reset_requests) VALUES (NEW.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET reset_requests = reset_requests + 1;
END;
CREATE TRIGGER reset_requests_delete_pending AFTER DELETE ON reset_requests BEGIN
    UPDATE tenant_pending_work SET reset_requests = MAX(reset_requests - 1, 0) WHERE tenant_id = OLD.tenant_id;
END;
