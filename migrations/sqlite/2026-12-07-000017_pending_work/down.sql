DROP TRIGGER reset_requests_delete_pending;
DROP TRIGGER reset_requests_insert_pending;
DROP TRIGGER outbox_delete_pending;
DROP TRIGGER outbox_update_again;
DROP TRIGGER outbox_update_done;
DROP TRIGGER outbox_insert_pending;
DROP TABLE tenant_pending_work;
