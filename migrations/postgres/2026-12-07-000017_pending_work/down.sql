DROP TRIGGER reset_requests_pending_work ON reset_requests;
DROP TRIGGER outbox_pending_work ON outbox;
DROP FUNCTION gatehouse_pending_work();
DROP TABLE tenant_pending_work;
