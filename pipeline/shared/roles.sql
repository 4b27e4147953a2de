-- The shared deployment's roles and grants, for the Postgres database that holds Dagster's storage and the
-- DuckLake catalog. Run it connected to THAT database, as its owner or an administrator (a superuser, or a
-- role with CREATEROLE that owns the database: a managed Postgres's admin user):
--
--   psql "postgresql://admin@db.example.org:5432/pledge?sslmode=require" -v ON_ERROR_STOP=1 -f pipeline/shared/roles.sql
--   psql ... -c '\password pledge_writer' -c '\password pledge_reader'
--
-- or `make shared-roles ADMIN_DSN=...`, which runs this file, sets generated passwords (sent as SCRAM
-- verifiers, never in clear) and writes them to owner-only passfiles (docs/shared-deployment.md).
-- It is idempotent: run it again after an upgrade, or to hand an older lake's tables to the writer.
--
--   pledge_writer  the pipeline's role: owns the DuckLake catalog tables and Dagster's storage tables
--                  (both in schema public); creates, changes and deletes them.
--   pledge_reader  analysts, BI tools, `make sql`, `make mf`, the report and exports: SELECT on every table
--                  of the schema, now and later (default privileges), and nothing else. It can attach the
--                  lake read-only and read every snapshot; CREATE TABLE, INSERT, DELETE or expiring
--                  snapshots through the lake fail with "permission denied" from Postgres.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pledge_writer') THEN
        CREATE ROLE pledge_writer LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pledge_reader') THEN
        CREATE ROLE pledge_reader LOGIN;
    END IF;
END
$$;

-- Neither role may do anything beyond this database's tables.
ALTER ROLE pledge_writer LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE pledge_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

-- The administrator running this script must act for the writer (default privileges FOR ROLE, handing it
-- older tables). A superuser already may; a managed Postgres's CREATEROLE admin needs the membership.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE 'GRANT pledge_writer TO ' || quote_ident(current_user);
    END IF;
END
$$;

-- Only these two roles (and the administrator) connect to the database.
DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO pledge_writer', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO pledge_reader', current_database());
END
$$;

-- Schema public holds both the DuckLake catalog (ducklake_* tables) and Dagster's storage: the writer
-- creates tables there, the reader only looks them up.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO pledge_writer;
GRANT USAGE ON SCHEMA public TO pledge_reader;

-- Tables created before the roles existed (a lake written by a superuser) are handed to the writer, so
-- it can go on writing them; their sequences follow their tables.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner <> 'pledge_writer' LOOP
        EXECUTE format('ALTER TABLE public.%I OWNER TO pledge_writer', t.tablename);
    END LOOP;
END
$$;

-- The reader reads every table there is, and every table the writer creates later (DuckLake creates
-- tables after the first attach, e.g. for inlined data).
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM pledge_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO pledge_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE pledge_writer IN SCHEMA public GRANT SELECT ON TABLES TO pledge_reader;
