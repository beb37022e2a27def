DROP TRIGGER outbox_pending_work ON outbox;
DROP TRIGGER reset_requests_pending_work ON reset_requests;

CREATE TRIGGER outbox_pending_work AFTER INSERT OR UPDATE OR DELETE ON outbox
    FOR EACH ROW EXECUTE FUNCTION gatehouse_pending_work();
CREATE TRIGGER reset_requests_pending_work AFTER INSERT OR DELETE ON reset_requests
    FOR EACH ROW EXECUTE FUNCTION gatehouse_pending_work();
