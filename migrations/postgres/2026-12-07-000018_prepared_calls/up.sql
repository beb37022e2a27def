-- Two steps every unit of work or audit entry takes, as functions, so the server calls them with statements it
-- prepares once per connection (text sent with `sql_query` is parsed and planned at every call).

-- The last statement of a unit of work: when a trigger marked the transaction as changing what the session cache
-- keeps, the sync notification the committing instance waits for; true when it was sent.
CREATE FUNCTION gatehouse_commit_sync(payload text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF current_setting('gatehouse.cache_touched', true) = 'on' THEN
        PERFORM pg_notify('gatehouse_cache', payload);
        RETURN true;
    END IF;
    RETURN false;
END
$$;

-- Where a tenant's audit chain goes on: takes the tenant's audit lock (appends of one tenant take turns until
-- their transactions end) and then returns the hash of its last entry, NULL without one. A volatile function
-- reads with a snapshot taken after the lock, so an entry committed by the holder before is always seen.
-- Row-level security applies as to the caller. The lock's second key is an integer: a tenant id beyond its range
-- (ids are BIGINT) is folded into it by hashing, where it could only make two tenants' appends take turns; ids
-- within it keep the key every earlier version takes.
CREATE FUNCTION gatehouse_audit_head(tenant bigint) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
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
