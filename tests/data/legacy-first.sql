BEGIN TRANSACTION;
CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
INSERT INTO "_sqlite_migrations" VALUES(1,'mall.orders','initial_schema','2026-12-01 22:59:56.919544+00:00');
CREATE TABLE "handoff_tickets" (
   "ticket_id" TEXT PRIMARY KEY NOT NULL,
   "order_id" TEXT,
   "sender_id" TEXT,
   "reason" TEXT,
   "status" TEXT,
   "language" TEXT,
   "requested_method" TEXT,
   "transcript" TEXT,
   "created_at" TEXT,
   "closed_at" TEXT
);
INSERT INTO "handoff_tickets" VALUES('HT2611200001',NULL,'old','customer_request','open','zh',NULL,NULL,'2026-11-20T09:00:00+00:00',NULL);
CREATE TABLE "order_audit" (
   "id" INTEGER PRIMARY KEY NOT NULL,
   "order_id" TEXT,
   "old_state" TEXT,
   "new_state" TEXT,
   "conversation_id" TEXT,
   "changed_at" TEXT
);
CREATE TABLE "orders" (
   "order_id" TEXT PRIMARY KEY NOT NULL,
   "phone" TEXT,
   "status" TEXT,
   "payment_method" TEXT,
   "installments" INTEGER,
   "total" REAL,
   "items" TEXT,
   "replaced_by" TEXT,
   "replaces" TEXT,
   "created_at" TEXT,
   "updated_at" TEXT
);
CREATE TABLE "verification_failures" (
   "id" INTEGER PRIMARY KEY NOT NULL,
   "order_id" TEXT,
   "sender_id" TEXT,
   "created_at" TEXT
);
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE INDEX "idx_verification_failures_order_id_created_at"
    ON "verification_failures" ("order_id", "created_at");
CREATE INDEX "idx_order_audit_order_id"
    ON "order_audit" ("order_id");
COMMIT;
