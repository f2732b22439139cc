CREATE TABLE "amo_connections" (
	"id" text PRIMARY KEY NOT NULL,
	"host" text NOT NULL,
	"account_id" bigint,
	"kind" text NOT NULL,
	"state" text DEFAULT 'connected' NOT NULL,
	"state_reason" text,
	"access_token_enc" text,
	"refresh_token_enc" text,
	"expires_at" timestamp with time zone,
	"last_refresh_at" timestamp with time zone,
	"connected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"env_import_hash" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "amo_contact_index" (
	"key" text PRIMARY KEY NOT NULL,
	"amo_contact_id" bigint NOT NULL,
	"source" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "delivery_cursors" (
	"key" text PRIMARY KEY NOT NULL,
	"position" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "delivery_notes" (
	"lead_id" uuid PRIMARY KEY NOT NULL,
	"amo_lead_id" bigint NOT NULL,
	"text" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_at" timestamp with time zone,
	"claimed_by" text,
	"last_error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lead_delivery_flags" (
	"lead_id" uuid PRIMARY KEY NOT NULL,
	"needs_lookup" boolean DEFAULT false NOT NULL,
	"first_sent_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rate_limit_slots" (
	"key" text PRIMARY KEY NOT NULL,
	"next_slot_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "app_settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lead_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"lead_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"type" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "leads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"form_key" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"idempotency_key" text,
	"name" text,
	"phone" text,
	"email" text,
	"message" text,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"raw" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"attribution" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"consent" jsonb,
	"ip" text,
	"user_agent" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_at" timestamp with time zone,
	"claimed_by" text,
	"last_error" jsonb,
	"amo_lead_id" bigint,
	"amo_contact_id" bigint,
	"delivered_at" timestamp with time zone,
	"responsible_user_id" bigint
);
--> statement-breakpoint
CREATE TABLE "amo_contacts" (
	"amo_contact_id" bigint PRIMARY KEY NOT NULL,
	"kind" text DEFAULT 'contact' NOT NULL,
	"name" text,
	"responsible_user_id" bigint,
	"custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"lead_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"is_deleted" boolean DEFAULT false NOT NULL,
	"amo_updated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "amo_deal_stages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"amo_lead_id" bigint NOT NULL,
	"pipeline_id" bigint NOT NULL,
	"status_id" bigint NOT NULL,
	"entered_at" timestamp with time zone NOT NULL,
	"left_at" timestamp with time zone,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "amo_deals" (
	"amo_lead_id" bigint PRIMARY KEY NOT NULL,
	"lead_id" uuid,
	"name" text,
	"pipeline_id" bigint,
	"status_id" bigint,
	"responsible_user_id" bigint,
	"price" numeric,
	"object_cost" numeric,
	"commission" numeric,
	"payment_status" text,
	"fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"contact_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"is_won" boolean DEFAULT false NOT NULL,
	"is_lost" boolean DEFAULT false NOT NULL,
	"closed_at" timestamp with time zone,
	"is_deleted" boolean DEFAULT false NOT NULL,
	"deleted_at" timestamp with time zone,
	"amo_created_at" timestamp with time zone,
	"amo_updated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "amo_sync_cursors" (
	"name" text NOT NULL,
	"cursor" bigint NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "domain_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"amo_lead_id" bigint,
	"lead_id" uuid,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"content_type" text,
	"body" text NOT NULL,
	"body_hash" text NOT NULL,
	"account_id" bigint,
	"subdomain" text,
	"error_code" text,
	"error" text,
	"event_count" integer,
	"applied_count" integer,
	"attempts" integer DEFAULT 0 NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "webhook_event_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"delivery_id" bigint,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "provision_maps" (
	"id" text PRIMARY KEY NOT NULL,
	"map" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "delivery_notes" ADD CONSTRAINT "delivery_notes_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lead_delivery_flags" ADD CONSTRAINT "lead_delivery_flags_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lead_events" ADD CONSTRAINT "lead_events_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "delivery_notes_next_attempt_at_idx" ON "delivery_notes" USING btree ("next_attempt_at");--> statement-breakpoint
CREATE INDEX "lead_events_lead_id_at_idx" ON "lead_events" USING btree ("lead_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "leads_form_key_idempotency_key_uq" ON "leads" USING btree ("form_key","idempotency_key");--> statement-breakpoint
CREATE INDEX "leads_status_next_attempt_at_idx" ON "leads" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "leads_created_at_idx" ON "leads" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "leads_amo_lead_id_idx" ON "leads" USING btree ("amo_lead_id");--> statement-breakpoint
CREATE INDEX "amo_deal_stages_lead_entered_idx" ON "amo_deal_stages" USING btree ("amo_lead_id","entered_at");--> statement-breakpoint
CREATE INDEX "amo_deals_stage_idx" ON "amo_deals" USING btree ("pipeline_id","status_id");--> statement-breakpoint
CREATE INDEX "amo_deals_lead_id_idx" ON "amo_deals" USING btree ("lead_id");--> statement-breakpoint
CREATE UNIQUE INDEX "amo_sync_cursors_name_uq" ON "amo_sync_cursors" USING btree ("name");--> statement-breakpoint
CREATE INDEX "domain_events_unprocessed_idx" ON "domain_events" USING btree ("processed_at","id");--> statement-breakpoint
CREATE INDEX "domain_events_type_idx" ON "domain_events" USING btree ("type","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_status_id_idx" ON "webhook_deliveries" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_body_hash_idx" ON "webhook_deliveries" USING btree ("body_hash");