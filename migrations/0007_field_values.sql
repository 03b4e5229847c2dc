CREATE TABLE "field_values" (
	"org_id" uuid NOT NULL,
	"field" text NOT NULL,
	"value" text NOT NULL,
	CONSTRAINT "field_values_org_id_field_value_pk" PRIMARY KEY("org_id","field","value")
);
--> statement-breakpoint
ALTER TABLE "field_values" ADD CONSTRAINT "field_values_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "field_values_value_trgm" ON "field_values" USING gin ("value" gin_trgm_ops);--> statement-breakpoint
-- Hand-written: statement triggers keep field_values current (set-based, one INSERT … SELECT
-- DISTINCT per column and statement, so a bulk import pays per distinct value, not per row).
-- TG_ARGV names the columns; `field` is '<table>.<column>'.
CREATE OR REPLACE FUNCTION crm_note_field_values() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE col text;
BEGIN
  FOREACH col IN ARRAY TG_ARGV LOOP
    EXECUTE format('INSERT INTO field_values (org_id, field, value) SELECT DISTINCT org_id, %L, %I FROM new_rows WHERE %I IS NOT NULL ON CONFLICT DO NOTHING',
                   TG_TABLE_NAME || '.' || col, col, col);
  END LOOP;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- The same from a whole table: the backfill here, and the seed's after a load that skips triggers.
CREATE OR REPLACE FUNCTION crm_fill_field_values(tbl text, cols text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE col text;
BEGIN
  FOREACH col IN ARRAY cols LOOP
    EXECUTE format('INSERT INTO field_values (org_id, field, value) SELECT DISTINCT org_id, %L, %I FROM %I WHERE %I IS NOT NULL ON CONFLICT DO NOTHING',
                   tbl || '.' || col, col, tbl, col);
  END LOOP;
END $$;
--> statement-breakpoint
CREATE TRIGGER contacts_field_values_insert AFTER INSERT ON contacts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_note_field_values('first_name', 'last_name');
--> statement-breakpoint
CREATE TRIGGER contacts_field_values_update AFTER UPDATE ON contacts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_note_field_values('first_name', 'last_name');
--> statement-breakpoint
CREATE TRIGGER leads_field_values_insert AFTER INSERT ON leads REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_note_field_values('last_name');
--> statement-breakpoint
CREATE TRIGGER leads_field_values_update AFTER UPDATE ON leads REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_note_field_values('last_name');
--> statement-breakpoint
CREATE TRIGGER companies_field_values_insert AFTER INSERT ON companies REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_note_field_values('industry');
--> statement-breakpoint
CREATE TRIGGER companies_field_values_update AFTER UPDATE ON companies REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_note_field_values('industry');
--> statement-breakpoint
SELECT crm_fill_field_values('contacts', ARRAY['first_name', 'last_name']);
--> statement-breakpoint
SELECT crm_fill_field_values('leads', ARRAY['last_name']);
--> statement-breakpoint
SELECT crm_fill_field_values('companies', ARRAY['industry']);
--> statement-breakpoint
ANALYZE field_values;
