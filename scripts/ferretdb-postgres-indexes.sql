-- FerretDB v1 sends filters as `_jsonb->$1 @> $2` with the field name as a parameter. The btree
-- expression indexes it creates for our createIndex calls cannot answer `@>`, so every lookup became
-- a sequential scan (13 ms per findOne on 10,000 users). A GIN twin of each indexed field answers
-- `@>`, and custom plans let PostgreSQL see the field name. Only the local test backend needs this:
-- real MongoDB uses the declared indexes directly.
ALTER DATABASE :"db" SET plan_cache_mode = force_custom_plan;

CREATE OR REPLACE FUNCTION scim_sync_gin_twins() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
DECLARE
  obj record;
  field text;
  n int;
BEGIN
  FOR obj IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index' LOOP
    BEGIN
      CONTINUE WHEN (SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam WHERE c.oid = obj.objid) <> 'btree';
      n := 0;
      FOR field IN SELECT (regexp_matches(pg_get_indexdef(obj.objid), '_jsonb -> ''([^'']+)''::text', 'g'))[1] LOOP
        n := n + 1;
        -- One twin per (table, field), however many indexes name the field. fastupdate off: with it, each
        -- insert goes to the index's pending list, which every lookup scans in full until a vacuum merges
        -- it (a point read on `_id` took 10 ms after 100,000 inserts, 0.05 ms once merged).
        EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb -> %L) jsonb_path_ops) WITH (fastupdate = off)',
          left(md5((SELECT indrelid::regclass::text FROM pg_index WHERE indexrelid = obj.objid) || '|' || field), 20) || '_gin',
          (SELECT indrelid::regclass::text FROM pg_index WHERE indexrelid = obj.objid),
          field);
      END LOOP;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'scim-sync: no GIN twin for %: %', obj.object_identity, SQLERRM;
    END;
  END LOOP;
END
$fn$;

DROP EVENT TRIGGER IF EXISTS scim_sync_gin_twins;
CREATE EVENT TRIGGER scim_sync_gin_twins ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION scim_sync_gin_twins();
