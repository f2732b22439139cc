ALTER TABLE "webhook_deliveries" ADD COLUMN "journal_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_journal_key_idx" ON "webhook_deliveries" USING btree ("journal_key");