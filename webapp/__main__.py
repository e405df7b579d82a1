"""python -m webapp [--host 127.0.0.1] [--port 8080] [--rasa-port 5005]"""

from __future__ import annotations

import argparse

from aiohttp import web

from webapp.server import Settings, create_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--rasa-port", type=int, default=5005)
    args = parser.parse_args()
    app = create_app(Settings(rasa_port=args.rasa_port))
    web.run_app(app, host=args.host, port=args.port, print=lambda *_: None)


if __name__ == "__main__":
    main()
