"""python -m webapp [--host 127.0.0.1] [--port 8080] [--rasa-port 5005]

The agent console at /agent is on when AGENT_SECRET (agents' sign-in) and RASA_TOKEN
(Rasa's API token) are set; it works on the orders database named by ORDERS_DB.
"""

from __future__ import annotations

import argparse
import os

from aiohttp import web

from actions.store import database_path
from webapp.agent import AgentSettings
from webapp.server import Settings, create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-port", type=int, default=5005)
    args = parser.parse_args()
    secret, token = os.environ.get("AGENT_SECRET"), os.environ.get("RASA_TOKEN")
    agent = None
    if secret and token:
        agent = AgentSettings(secret=secret, rasa_url=f"http://127.0.0.1:{args.rasa_port}",
                              rasa_token=token, orders_db=str(database_path()))
    web.run_app(create_app(Settings(rasa_port=args.rasa_port, agent=agent)),
                host=args.host, port=args.port, print=lambda *_: None)


if __name__ == "__main__":
    main()
