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
CREATE UNIQUE INDEX "whatsapp_messages_message_id_idx" ON "whatsapp_messages" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "whatsapp_messages_callback_idx" ON "whatsapp_messages" USING btree ("callback_data");