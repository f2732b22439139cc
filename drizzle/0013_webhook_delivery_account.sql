DROP INDEX "webhook_deliveries_status_id_idx";--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "account" text DEFAULT 'default' NOT NULL;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_pending_idx" ON "webhook_deliveries" USING btree ("account","id") WHERE "webhook_deliveries"."status" = 'pending';