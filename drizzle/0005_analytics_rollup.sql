CREATE TABLE "analytics_deal_stages" (
	"amo_lead_id" bigint NOT NULL,
	"pipeline_id" bigint NOT NULL,
	"status_id" bigint NOT NULL,
	"cohort_at" timestamp with time zone NOT NULL,
	"closed_secs" double precision NOT NULL,
	"open_count" integer NOT NULL,
	"open_sum" double precision NOT NULL,
	CONSTRAINT "analytics_deal_stages_amo_lead_id_pipeline_id_status_id_pk" PRIMARY KEY("amo_lead_id","pipeline_id","status_id")
);
--> statement-breakpoint
CREATE TABLE "analytics_deals" (
	"amo_lead_id" bigint PRIMARY KEY NOT NULL,
	"pipeline_id" bigint,
	"status_id" bigint,
	"is_won" boolean NOT NULL,
	"is_lost" boolean NOT NULL,
	"cohort_at" timestamp with time zone NOT NULL,
	"responsible_user_id" bigint,
	"price" numeric,
	"visited" bigint[] DEFAULT '{}'::bigint[] NOT NULL,
	"first_change_secs" double precision
);
--> statement-breakpoint
CREATE TABLE "analytics_pipelines" (
	"pipeline_id" bigint PRIMARY KEY NOT NULL,
	"deals" integer NOT NULL
);
--> statement-breakpoint
DROP INDEX "leads_created_at_idx";--> statement-breakpoint
CREATE INDEX "analytics_deal_stages_stage_cohort_idx" ON "analytics_deal_stages" USING btree ("pipeline_id","status_id","cohort_at","closed_secs","open_count","open_sum");--> statement-breakpoint
CREATE INDEX "analytics_deals_pipeline_cohort_idx" ON "analytics_deals" USING btree ("pipeline_id","cohort_at","is_won","is_lost","status_id","visited");--> statement-breakpoint
CREATE INDEX "analytics_deals_cohort_idx" ON "analytics_deals" USING btree ("cohort_at","responsible_user_id","is_won","is_lost","price","first_change_secs");--> statement-breakpoint
CREATE INDEX "leads_form_created_idx" ON "leads" USING btree ("form_key","created_at");--> statement-breakpoint
CREATE INDEX "leads_last_source_idx" ON "leads" USING btree (nullif(case when jsonb_typeof(attribution -> 'last_touch') = 'object' then attribution -> 'last_touch' ->> 'utm_source' else attribution ->> 'utm_source' end, ''),"form_key","created_at");--> statement-breakpoint
CREATE INDEX "leads_phone_prefix_idx" ON "leads" USING btree ("phone" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "leads_phone_suffix_idx" ON "leads" USING btree (reverse("phone") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "leads_email_prefix_idx" ON "leads" USING btree (lower("email") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "leads_name_words_idx" ON "leads" USING gin (to_tsvector('simple', coalesce("name", '')));--> statement-breakpoint
CREATE INDEX "leads_created_at_idx" ON "leads" USING btree ("created_at","status");