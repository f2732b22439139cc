DROP INDEX "domain_events_unprocessed_idx";--> statement-breakpoint
ALTER TABLE "domain_events" DROP COLUMN "processed_at";