"""python -m webapp [--host 127.0.0.1] [--port 8080] [--rasa-port 5005] [--rasa-api-url URL]

The agent console at /agent is on when RASA_TOKEN (the key of Rasa's HTTP API) is set;
agents sign in with their own accounts (python -m mall.agents). Customers can sign in on the
page when MALL_SECRET is set. The page and the console work on the orders database named by DATABASE_URL or
ORDERS_DB (mall.settings). --rasa-port is where the browser finds Rasa's socket.io channel
(the load balancer's port in a cluster); the console calls Rasa's HTTP API at --rasa-api-url
(default: Rasa on --rasa-port).
"""

from __future__ import annotations

import argparse

from aiohttp import web

from mall import settings
from mall.privacy import install_log_masking
from webapp.agent import AgentSettings
from webapp.server import Settings, create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.PORTS.web)
    parser.add_argument("--rasa-port", type=int, default=settings.PORTS.rasa)
    parser.add_argument("--rasa-api-url", default=None)
    args = parser.parse_args()
    install_log_masking()
    token = settings.rasa_token()
    agent = None
    if token:
        agent = AgentSettings(
            rasa_url=args.rasa_api_url or f"http://127.0.0.1:{args.rasa_port}",
            rasa_token=token,
            orders_db=str(settings.orders_database()),
            conversations_db=str(settings.conversations_database()),
        )
    app_settings = Settings(
        rasa_port=args.rasa_port, orders_db=settings.orders_database(), agent=agent, mall_secret=settings.mall_secret()
    )
    web.run_app(create_app(app_settings), host=args.host, port=args.port, print=lambda *_: None)


if __name__ == "__main__":
    main()
