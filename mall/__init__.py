"""The assistant's core: what the action server, the Rasa add-ons and the web app share.

Framework-free: nothing here imports `rasa` or `rasa_sdk` (tests/test_layout.py checks).
settings (paths, ports, env), catalog (methods, plans, statuses), support (hotline, hours),
language, privacy, transcripts, outcomes (what follows an order lookup), db (SQLite
primitive), store + migrations (orders), demo (the demo orders and their command),
conversations (the stored conversation log).
"""
