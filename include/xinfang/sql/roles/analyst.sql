-- Read-only analyst role (PostgreSQL): SELECT on the v_* views of the ledger's
-- schema and nothing on the base tables (intake_item, ledger_case, ...). The
-- views run with their owner's rights, so analysts see petitioners only through
-- the masked columns of v_case_list.
--
-- The role is NOLOGIN; give people a login of their own that inherits it:
--   CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE xinfang_analyst;
--
-- Apply as the ledger's owner: `psql "$LEDGER" -f sql/roles/analyst.sql`, or
-- xinfang.reports.views.apply_analyst_role(engine). Creating the role needs
-- CREATEROLE once; afterwards every views refresh (xinfang.db.upgrade) re-grants.
-- Idempotent.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'xinfang_analyst') THEN
        BEGIN
            CREATE ROLE xinfang_analyst NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created concurrently by another session
        END;
    END IF;
END
$$;

DO $$
DECLARE
    v record;
BEGIN
    EXECUTE 'GRANT USAGE ON SCHEMA ' || quote_ident(current_schema()) || ' TO xinfang_analyst';
    EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA ' || quote_ident(current_schema())
        || ' FROM xinfang_analyst';
    EXECUTE 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA ' || quote_ident(current_schema())
        || ' FROM xinfang_analyst';
    FOR v IN
        SELECT viewname FROM pg_views
        WHERE schemaname = current_schema() AND starts_with(viewname, 'v_')
    LOOP
        EXECUTE 'GRANT SELECT ON ' || quote_ident(current_schema()) || '.'
            || quote_ident(v.viewname) || ' TO xinfang_analyst';
    END LOOP;
END
$$;
