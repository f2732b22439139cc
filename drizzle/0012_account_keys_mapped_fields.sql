-- Issue #8, the database side. Hand-ordered from drizzle-kit's output (it cannot name the old primary keys nor move
-- data); the end state is drizzle/meta/0012_snapshot.json.
--
-- 1. The business columns of amo_deals (object_cost, commission, payment_status) become mapped fields: each value
--    moves into `fields` under its config key (the columns were filled from exactly these keys) when the key is not
--    there already, then the columns go.
UPDATE "amo_deals" SET "fields" = "fields"
	|| CASE WHEN "object_cost" IS NOT NULL AND "fields" -> 'object_cost' IS NULL THEN jsonb_build_object('object_cost', "object_cost") ELSE '{}'::jsonb END
	|| CASE WHEN "commission" IS NOT NULL AND "fields" -> 'commission' IS NULL THEN jsonb_build_object('commission', "commission") ELSE '{}'::jsonb END
	|| CASE WHEN "payment_status" IS NOT NULL AND "fields" -> 'payment_status' IS NULL THEN jsonb_build_object('payment_status', "payment_status") ELSE '{}'::jsonb END
WHERE ("object_cost" IS NOT NULL AND "fields" -> 'object_cost' IS NULL)
	OR ("commission" IS NOT NULL AND "fields" -> 'commission' IS NULL)
	OR ("payment_status" IS NOT NULL AND "fields" -> 'payment_status' IS NULL);--> statement-breakpoint
ALTER TABLE "amo_deals" DROP COLUMN "object_cost";--> statement-breakpoint
ALTER TABLE "amo_deals" DROP COLUMN "commission";--> statement-breakpoint
ALTER TABLE "amo_deals" DROP COLUMN "payment_status";--> statement-breakpoint
-- 2. Per-account tables carry the account (connection key); every existing row is the one account's, 'default'.
ALTER TABLE "leads" ADD COLUMN "account" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "amo_deals" ADD COLUMN "account" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "amo_contacts" ADD COLUMN "account" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "amo_deal_stages" ADD COLUMN "account" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "amo_contact_index" ADD COLUMN "account" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "amo_sync_cursors" ADD COLUMN "account" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_event_keys" ADD COLUMN "account" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "analytics_deals" ADD COLUMN "account" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "analytics_deal_stages" ADD COLUMN "account" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
ALTER TABLE "analytics_pipelines" ADD COLUMN "account" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
-- 3. Keys by (account, amoCRM id): amoCRM ids are unique only within an account. The old keys were column
--    primary keys (PostgreSQL names them <table>_pkey), except analytics_deal_stages' named one.
ALTER TABLE "amo_deals" DROP CONSTRAINT "amo_deals_pkey";--> statement-breakpoint
ALTER TABLE "amo_deals" ADD CONSTRAINT "amo_deals_account_amo_lead_id_pk" PRIMARY KEY("account","amo_lead_id");--> statement-breakpoint
ALTER TABLE "amo_contacts" DROP CONSTRAINT "amo_contacts_pkey";--> statement-breakpoint
ALTER TABLE "amo_contacts" ADD CONSTRAINT "amo_contacts_account_amo_contact_id_pk" PRIMARY KEY("account","amo_contact_id");--> statement-breakpoint
ALTER TABLE "amo_contact_index" DROP CONSTRAINT "amo_contact_index_pkey";--> statement-breakpoint
ALTER TABLE "amo_contact_index" ADD CONSTRAINT "amo_contact_index_account_key_pk" PRIMARY KEY("account","key");--> statement-breakpoint
ALTER TABLE "webhook_event_keys" DROP CONSTRAINT "webhook_event_keys_pkey";--> statement-breakpoint
ALTER TABLE "webhook_event_keys" ADD CONSTRAINT "webhook_event_keys_account_key_pk" PRIMARY KEY("account","key");--> statement-breakpoint
ALTER TABLE "analytics_deals" DROP CONSTRAINT "analytics_deals_pkey";--> statement-breakpoint
ALTER TABLE "analytics_deals" ADD CONSTRAINT "analytics_deals_account_amo_lead_id_pk" PRIMARY KEY("account","amo_lead_id");--> statement-breakpoint
ALTER TABLE "analytics_pipelines" DROP CONSTRAINT "analytics_pipelines_pkey";--> statement-breakpoint
ALTER TABLE "analytics_pipelines" ADD CONSTRAINT "analytics_pipelines_account_pipeline_id_pk" PRIMARY KEY("account","pipeline_id");--> statement-breakpoint
ALTER TABLE "analytics_deal_stages" DROP CONSTRAINT "analytics_deal_stages_amo_lead_id_pipeline_id_status_id_pk";--> statement-breakpoint
ALTER TABLE "analytics_deal_stages" ADD CONSTRAINT "analytics_deal_stages_account_amo_lead_id_pipeline_id_status_id_pk" PRIMARY KEY("account","amo_lead_id","pipeline_id","status_id");--> statement-breakpoint
DROP INDEX "amo_sync_cursors_name_uq";--> statement-breakpoint
CREATE UNIQUE INDEX "amo_sync_cursors_account_name_uq" ON "amo_sync_cursors" USING btree ("account","name");--> statement-breakpoint
DROP INDEX "leads_amo_lead_id_idx";--> statement-breakpoint
CREATE INDEX "leads_amo_lead_id_idx" ON "leads" USING btree ("amo_lead_id","account");--> statement-breakpoint
DROP INDEX "amo_deal_stages_lead_entered_idx";--> statement-breakpoint
CREATE INDEX "amo_deal_stages_lead_entered_idx" ON "amo_deal_stages" USING btree ("account","amo_lead_id","entered_at");
