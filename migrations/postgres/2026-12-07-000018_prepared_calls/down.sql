DROP FUNCTION gatehouse_audit_head(bigint);
DROP FUNCTION gatehouse_commit_sync(text);
