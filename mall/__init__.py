"""The assistant's core: what the action server, the Rasa add-ons and the web app share.

Framework-free: nothing here imports `rasa` or `rasa_sdk` (tests/test_layout.py checks).
settings (paths, ports, env), catalog (methods, plans, statuses), support (hotline, hours),
language, privacy, transcripts, outcomes (what follows an order lookup), db (SQLite
primitive), store + migrations (orders), plans (installment plans and offers, and their
command), quotes (what a plan costs, to the cent), prices (prices in customers' words), demo
(the demo orders and plans, and their command), conversations (the stored conversation log).
"""
