-- The pending-work counts of migration 17 are kept when a transaction commits (deferred constraint triggers; the
-- function is unchanged). Kept row by row as each message or request was written, the tenant's row was locked in
-- the middle of the transaction, and deadlocked with the tenant's audit lock: mail queued after an audit entry
-- against an audit entry after queued mail; and, had the trigger taken the audit lock first, a password-reset
-- resolution (its reset link's foreign key needs a share lock on the user's row) against a login holding that
-- row for update before it audits. Now the row is the last lock a transaction takes, after all its own work, so
-- a transaction holding it waits for nothing else. A tenant deleted with work waiting: its row goes by the
-- cascade first, and the decrements at commit find nothing to change.
DROP TRIGGER outbox_pending_work ON outbox;
DROP TRIGGER reset_requests_pending_work ON reset_requests;

CREATE CONSTRAINT TRIGGER outbox_pending_work AFTER INSERT OR UPDATE OR DELETE ON outbox
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gatehouse_pending_work();
CREATE CONSTRAINT TRIGGER reset_requests_pending_work AFTER INSERT OR DELETE ON reset_requests
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION gatehouse_pending_work();
