BEGIN TRANSACTION;
CREATE TABLE conversations (
    sender_id TEXT PRIMARY KEY, event_count INTEGER NOT NULL,
    window_start INTEGER NOT NULL DEFAULT 0, window_state TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO "conversations" VALUES('legacy-conv',4,1,'[{"event": "slot", "name": "language", "value": "zh"}]');
CREATE TABLE events (
    sender_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (sender_id, seq)
);
INSERT INTO "events" VALUES('legacy-conv',0,'{"event": "action", "name": "action_listen", "timestamp": 1.0}');
INSERT INTO "events" VALUES('legacy-conv',1,'{"event": "user", "text": "\u6211\u60f3\u6362\u652f\u4ed8\u65b9\u5f0f", "timestamp": 2.0, "parse_data": {"intent": {"name": "change_payment_method", "confidence": 0.9}, "entities": []}}');
INSERT INTO "events" VALUES('legacy-conv',2,'{"event": "bot", "text": "\u8bf7\u544a\u8bc9\u6211\u8ba2\u5355\u53f7", "timestamp": 3.0, "data": {}, "metadata": {}}');
INSERT INTO "events" VALUES('legacy-conv',3,'{"event": "action", "name": "action_listen", "timestamp": 4.0}');
CREATE TABLE presence (sender_id TEXT PRIMARY KEY, left_at REAL NOT NULL);
INSERT INTO "presence" VALUES('legacy-conv',6.0);
CREATE TABLE sockets (
    sid TEXT PRIMARY KEY, sender_id TEXT NOT NULL, instance TEXT NOT NULL, connected_at REAL NOT NULL
);
CREATE INDEX sockets_by_sender ON sockets (sender_id);
COMMIT;
