ALTER TABLE "amo_connections" ADD COLUMN "verified_at" timestamp with time zone DEFAULT now();--> statement-breakpoint
ALTER TABLE "leads" ADD COLUMN "source_key" text;