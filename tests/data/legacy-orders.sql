BEGIN TRANSACTION;
CREATE TABLE "_sqlite_migrations" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
);
INSERT INTO "_sqlite_migrations" VALUES(1,'mall.orders','initial_schema','2026-12-01 22:59:56.846821+00:00');
INSERT INTO "_sqlite_migrations" VALUES(2,'mall.orders','handoff_waiting','2026-12-01 22:59:56.848285+00:00');
INSERT INTO "_sqlite_migrations" VALUES(3,'mall.orders','nlu_misses','2026-12-01 22:59:56.857735+00:00');
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
, "claimed_order_id" TEXT, "live" INTEGER, "agent_joined_at" TEXT);
INSERT INTO "handoff_tickets" VALUES('HT2611200001','5201121000000002','legacy-conv','paid_order','open','zh','alipay','[{"from": "customer", "text": "转人工"}]','2026-11-20T09:30:00+00:00',NULL,NULL,1,NULL);
CREATE TABLE "nlu_misses" (
   "id" INTEGER PRIMARY KEY,
   "sender_id" TEXT,
   "text" TEXT NOT NULL,
   "kind" TEXT NOT NULL,
   "guesses" TEXT,
   "language" TEXT,
   "created_at" TEXT NOT NULL
);
INSERT INTO "nlu_misses" VALUES(1,'legacy-conv','花呗那个 138 **** 1234','fallback','[["ask_installment_fees", 0.41]]','zh','2026-11-20T09:30:00+00:00');
CREATE TABLE "order_audit" (
   "id" INTEGER PRIMARY KEY NOT NULL,
   "order_id" TEXT,
   "old_state" TEXT,
   "new_state" TEXT,
   "conversation_id" TEXT,
   "changed_at" TEXT
);
INSERT INTO "order_audit" VALUES(1,'5201121000000001','{"status": "unpaid", "payment_method": "huabei", "installments": 12, "replaced_by": null}','{"status": "cancelled", "payment_method": "huabei", "installments": 12, "replaced_by": "5226112051899836"}','legacy-conv','2026-11-20T09:30:00+00:00');
INSERT INTO "order_audit" VALUES(2,'5226112051899836',NULL,'{"status": "unpaid", "payment_method": "alipay", "installments": 1, "replaced_by": null}','legacy-conv','2026-11-20T09:30:00+00:00');
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
INSERT INTO "orders" VALUES('5201121000000001','13800001234','cancelled','huabei',12,3999.0,'[{"name": "Xiaomi 14 12GB+256GB", "quantity": 1}]','5226112051899836',NULL,'2026-11-01T10:00:00+08:00','2026-11-20T09:30:00+00:00');
INSERT INTO "orders" VALUES('5201121000000002','13800001234','paid','credit_card',6,5499.0,'[{"name": "Redmi Book Pro 15", "quantity": 1}]',NULL,NULL,'2026-11-01T10:00:00+08:00','2026-11-01T10:00:00+08:00');
INSERT INTO "orders" VALUES('5201121000000003','13900005678','shipped','huabei',3,1299.0,'[{"name": "Redmi Note 13 Pro", "quantity": 1}]',NULL,NULL,'2026-11-01T10:00:00+08:00','2026-11-01T10:00:00+08:00');
INSERT INTO "orders" VALUES('5201121000000004','13900005678','completed','wechat_pay',1,199.0,'[{"name": "Xiaomi Smart Band 8", "quantity": 1}]',NULL,NULL,'2026-11-01T10:00:00+08:00','2026-11-01T10:00:00+08:00');
INSERT INTO "orders" VALUES('5201121000000005','13700009012','cancelled','alipay',1,2999.0,'[{"name": "Xiaomi Pad 6", "quantity": 1}]',NULL,NULL,'2026-11-01T10:00:00+08:00','2026-11-01T10:00:00+08:00');
INSERT INTO "orders" VALUES('5201121000000006','13700009012','unpaid','credit_card',24,8999.0,'[{"name": "Xiaomi TV S Pro 85", "quantity": 1}]',NULL,NULL,'2026-11-01T10:00:00+08:00','2026-11-01T10:00:00+08:00');
INSERT INTO "orders" VALUES('5201121000000007','13600003456','refunded','huabei',6,999.0,'[{"name": "Xiaomi Robot Vacuum X10", "quantity": 1}]',NULL,NULL,'2026-11-01T10:00:00+08:00','2026-11-01T10:00:00+08:00');
INSERT INTO "orders" VALUES('5201121000000008','13600003456','unpaid','debit_card',1,1999.0,'[{"name": "Xiaomi Watch S3", "quantity": 1}]',NULL,NULL,'2026-11-01T10:00:00+08:00','2026-11-01T10:00:00+08:00');
INSERT INTO "orders" VALUES('5226112051899836','13800001234','unpaid','alipay',1,3999.0,'[{"name": "Xiaomi 14 12GB+256GB", "quantity": 1}]',NULL,'5201121000000001','2026-11-20T09:30:00+00:00','2026-11-20T09:30:00+00:00');
CREATE TABLE "verification_failures" (
   "id" INTEGER PRIMARY KEY NOT NULL,
   "order_id" TEXT,
   "sender_id" TEXT,
   "created_at" TEXT
);
INSERT INTO "verification_failures" VALUES(1,'5201121000000006','legacy-conv','2026-11-20T09:30:00+00:00');
CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"
    ON "_sqlite_migrations" ("migration_set", "name");
CREATE INDEX "idx_verification_failures_order_id_created_at"
    ON "verification_failures" ("order_id", "created_at");
CREATE INDEX "idx_order_audit_order_id"
    ON "order_audit" ("order_id");
CREATE INDEX "idx_handoff_tickets_sender_id_status"
    ON "handoff_tickets" ("sender_id", "status");
CREATE INDEX "idx_nlu_misses_created_at"
    ON "nlu_misses" ("created_at");
COMMIT;
