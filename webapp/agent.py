"""Agent console: human agents answer the customers the assistant handed over.

Agents sign in with accounts of their own (mall.agents; webapp.console_auth). The console
lists their tickets and the queue (a supervisor's: every open ticket), live
(webapp.console_live); shows the live conversation read from Rasa's tracker, with internal
notes and who did what; sends replies, signed with the agent's display name, through Rasa's
HTTP API (webapp.rasa_api), so they reach the customer's widget at once; inserts canned
replies; transfers and closes tickets (webapp.console_tickets); finds ended tickets; and lets
supervisors manage canned replies and agents and read the audit trail
(webapp.console_admin). Closing a ticket ends the customer's wait for an agent and lets the
assistant say, in the customer's language, that it is back. Phone numbers are masked before
anything reaches the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import aiohttp
from aiohttp import web

from mall.conversations import ConversationLog
from mall.store import OrderStore
from webapp import console_admin, console_insights, console_live, console_review, console_tickets
from webapp.console_auth import CONVERSATIONS, STORE, add_sign_in
from webapp.rasa_api import RASA, RasaAPI
from webapp.rasa_api import rasa_api_headers as rasa_api_headers  # where the bench and the tests find it


@dataclass(frozen=True)
class AgentSettings:
    rasa_url: str
    rasa_token: str  # the JWT key Rasa was started with (--jwt-secret)
    orders_db: str
    conversations_db: Optional[str] = None  # where the Rasa server records who is connected


def add_agent_console(app: web.Application, settings: AgentSettings) -> None:
    app[STORE] = OrderStore(settings.orders_db)
    if settings.conversations_db:
        app[CONVERSATIONS] = ConversationLog(settings.conversations_db)
    add_sign_in(app)

    async def open_rasa_client(app: web.Application):
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        app[RASA] = RasaAPI(settings.rasa_url, settings.rasa_token, session)
        yield
        await session.close()
        app[STORE].close()
        if CONVERSATIONS in app:
            app[CONVERSATIONS].close()

    app.cleanup_ctx.append(open_rasa_client)
    console_tickets.add_routes(app)
    console_admin.add_routes(app)
    console_insights.add_routes(app)  # issue 22: the dashboard, for supervisors
    console_review.add_routes(app)  # review and learn: /agent/review
    console_live.add_live(app)
