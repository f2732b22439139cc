CREATE TABLE "analytics_lead_days" (
	"touch" text NOT NULL,
	"day" date NOT NULL,
	"source" text NOT NULL,
	"medium" text NOT NULL,
	"campaign" text NOT NULL,
	"form_key" text NOT NULL,
	"leads" integer NOT NULL,
	"deals" integer NOT NULL,
	"won" integer NOT NULL,
	"revenue" numeric NOT NULL,
	"commission" numeric NOT NULL,
	CONSTRAINT "analytics_lead_days_touch_day_source_medium_campaign_form_key_pk" PRIMARY KEY("touch","day","source","medium","campaign","form_key")
);
--> statement-breakpoint
CREATE TABLE "analytics_lead_facts" (
	"lead_id" uuid PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"day" date NOT NULL,
	"form_key" text NOT NULL,
	"first_source" text NOT NULL,
	"first_medium" text NOT NULL,
	"first_campaign" text NOT NULL,
	"last_source" text NOT NULL,
	"last_medium" text NOT NULL,
	"last_campaign" text NOT NULL,
	"amo_lead_id" bigint,
	"has_deal" boolean NOT NULL,
	"is_won" boolean NOT NULL,
	"price" numeric,
	"commission" numeric
);
--> statement-breakpoint
CREATE TABLE "analytics_lead_rollup" (
	"id" text PRIMARY KEY NOT NULL,
	"commission_key" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "analytics_lead_facts_created_idx" ON "analytics_lead_facts" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "analytics_lead_facts_amo_lead_idx" ON "analytics_lead_facts" USING btree ("amo_lead_id");--> statement-breakpoint
CREATE INDEX "analytics_lead_facts_first_idx" ON "analytics_lead_facts" USING btree ("day","form_key","first_source","first_medium","first_campaign");--> statement-breakpoint
CREATE INDEX "analytics_lead_facts_last_idx" ON "analytics_lead_facts" USING btree ("day","form_key","last_source","last_medium","last_campaign");