CREATE TABLE "routing_contact_owners" (
	"account" text NOT NULL,
	"key_hash" text NOT NULL,
	"user_id" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "routing_contact_owners_account_key_hash_pk" PRIMARY KEY("account","key_hash")
);
--> statement-breakpoint
CREATE TABLE "routing_daily_counts" (
	"account" text NOT NULL,
	"user_id" bigint NOT NULL,
	"day" text NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "routing_daily_counts_account_user_id_day_pk" PRIMARY KEY("account","user_id","day")
);
--> statement-breakpoint
CREATE TABLE "routing_decisions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"account" text NOT NULL,
	"lead_id" uuid NOT NULL,
	"rule" text,
	"strategy" text,
	"outcome" text NOT NULL,
	"user_id" bigint,
	"manager" text,
	"manager_name" text,
	"reason" text NOT NULL,
	"skipped" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"fallback" text,
	"pool_key" text,
	"take_up_due_at" timestamp with time zone,
	"take_up_state" text,
	"take_up_checked_at" timestamp with time zone,
	"reassignments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"decided_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "routing_rotations" (
	"account" text NOT NULL,
	"pool_key" text NOT NULL,
	"state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "routing_rotations_account_pool_key_pk" PRIMARY KEY("account","pool_key")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "routing_decisions_lead_id_uq" ON "routing_decisions" USING btree ("lead_id");--> statement-breakpoint
CREATE INDEX "routing_decisions_take_up_idx" ON "routing_decisions" USING btree ("take_up_state","take_up_due_at");