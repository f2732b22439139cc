CREATE TABLE "consents" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"account" text DEFAULT 'default' NOT NULL,
	"lead_id" uuid NOT NULL,
	"form_key" text NOT NULL,
	"purpose" text DEFAULT 'pd_processing' NOT NULL,
	"text_version" text NOT NULL,
	"given_at" timestamp with time zone NOT NULL,
	"ip" text,
	"user_agent" text,
	"source" text NOT NULL,
	"anonymised_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "consents" ADD CONSTRAINT "consents_lead_id_leads_id_fk" FOREIGN KEY ("lead_id") REFERENCES "public"."leads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "consents_lead_idx" ON "consents" USING btree ("lead_id");