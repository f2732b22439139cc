CREATE TABLE "followup_deals" (
	"account" text DEFAULT 'default' NOT NULL,
	"amo_lead_id" bigint NOT NULL,
	"lead_id" uuid,
	"pipeline_id" bigint,
	"status_id" bigint,
	"responsible_user_id" bigint,
	"stage_entered_at" timestamp with time zone,
	"closed" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "followup_deals_account_amo_lead_id_pk" PRIMARY KEY("account","amo_lead_id")
);
--> statement-breakpoint
CREATE TABLE "followup_enrolments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account" text DEFAULT 'default' NOT NULL,
	"sequence_key" text NOT NULL,
	"lead_id" uuid,
	"amo_lead_id" bigint,
	"person_key" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"exit_reason" text,
	"exit_detail" text,
	"stage" jsonb,
	"vars" jsonb NOT NULL,
	"next_step" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "followup_keys" (
	"name" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "followup_notes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"account" text DEFAULT 'default' NOT NULL,
	"lead_id" uuid,
	"amo_lead_id" bigint,
	"text" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_at" timestamp with time zone,
	"last_error" jsonb,
	"note_id" bigint,
	"done_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "followup_steps" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"enrolment_id" uuid NOT NULL,
	"step_index" integer NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"claimed_at" timestamp with time zone,
	"claimed_by" text,
	"sending_at" timestamp with time zone,
	"message_id" text,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"reason" text,
	"error" jsonb,
	"done_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "followup_suppressions" (
	"account" text DEFAULT 'default' NOT NULL,
	"channel" text NOT NULL,
	"address" text NOT NULL,
	"reason" text NOT NULL,
	"detail" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "followup_suppressions_account_channel_address_pk" PRIMARY KEY("account","channel","address")
);
--> statement-breakpoint
CREATE TABLE "whatsapp_contacts" (
	"account" text NOT NULL,
	"wa_id" text NOT NULL,
	"profile_name" text,
	"last_inbound_at" timestamp with time zone,
	"opted_out_at" timestamp with time zone,
	"undeliverable_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "whatsapp_contacts_account_wa_id_pk" PRIMARY KEY("account","wa_id")
);
--> statement-breakpoint
CREATE TABLE "whatsapp_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"account" text NOT NULL,
	"message_id" text NOT NULL,
	"phone_number_id" text,
	"to" text,
	"wa_id" text,
	"kind" text,
	"template_name" text,
	"callback_data" text,
	"status" text DEFAULT 'accepted' NOT NULL,
	"status_at" timestamp with time zone,
	"error_code" integer,
	"error_title" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "whatsapp_webhook_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"webhook_id" bigint,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "whatsapp_webhooks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"account" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" text NOT NULL,
	"body" text NOT NULL,
	"applied_count" integer DEFAULT 0 NOT NULL,
	"item_count" integer DEFAULT 0 NOT NULL,
	"error_code" text
);
--> statement-breakpoint
CREATE INDEX "followup_deals_lead_idx" ON "followup_deals" USING btree ("lead_id");--> statement-breakpoint
CREATE UNIQUE INDEX "followup_enrolments_dedupe_uq" ON "followup_enrolments" USING btree ("account","dedupe_key");--> statement-breakpoint
CREATE INDEX "followup_enrolments_lead_idx" ON "followup_enrolments" USING btree ("lead_id");--> statement-breakpoint
CREATE INDEX "followup_enrolments_amo_lead_idx" ON "followup_enrolments" USING btree ("amo_lead_id");--> statement-breakpoint
CREATE INDEX "followup_enrolments_person_idx" ON "followup_enrolments" USING btree ("person_key","status");--> statement-breakpoint
CREATE INDEX "followup_notes_due_idx" ON "followup_notes" USING btree ("done_at","next_attempt_at");--> statement-breakpoint
CREATE UNIQUE INDEX "followup_steps_enrolment_step_uq" ON "followup_steps" USING btree ("enrolment_id","step_index");--> statement-breakpoint
CREATE INDEX "followup_steps_due_idx" ON "followup_steps" USING btree ("status","due_at");--> statement-breakpoint
CREATE INDEX "followup_steps_message_idx" ON "followup_steps" USING btree ("message_id");--> statement-breakpoint
CREATE UNIQUE INDEX "whatsapp_messages_message_id_idx" ON "whatsapp_messages" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "whatsapp_messages_callback_idx" ON "whatsapp_messages" USING btree ("callback_data");