-- Hand-written: the statement timeout lives in the database, as its default for every new session.
-- Postgres cancels any statement that runs longer than 10 s (SQLSTATE 57014, which the API
-- answers as 422 query_too_expensive). It used to be sent by the Worker ahead of each
-- statement (set_config(..., true) in the statement's own transaction, through a subclass of
-- pg's private Query class); a database default needs no per-statement message, and it holds
-- on every server session whoever opens it: Hyperdrive's and PgBouncer's pooled sessions
-- (transaction-mode poolers drop startup parameters, and a session SET would leak to the
-- pooler's next client), as well as direct ones.
-- It applies to sessions opened after this migration, on this database only, for every role.
-- The project's own long work (migrations, seeding, index builds, the bench's Node-side
-- connections) opts out per connection with the startup option `-c statement_timeout=0`.
-- To change it, as the database owner (or a superuser), then let pooled sessions reconnect:
--   alter database <name> set statement_timeout = '30s';   -- or reset statement_timeout
-- A role-level setting (alter role … in database … set statement_timeout) takes precedence
-- over this one. See docs/decisions/0101-maintained-postgres-driver.md.
DO $$
BEGIN
  EXECUTE format('alter database %I set statement_timeout = %L', current_database(), '10s');
END
$$;
