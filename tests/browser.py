"""Driving the chat widget and the agent console in headless Chromium (Playwright)."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-quic",
    "--disable-sync",
]
TIMEOUT_MS = 30_000


class Widget:
    """rasa-webchat on the mall page, used the way a customer uses it."""

    def __init__(self, page):
        self.page = page

    def _until_connected(self):
        """rasa-webchat logs session_confirm once its socket session is (re)established;
        only then has it restored whether the chat window was open."""
        return self.page.expect_console_message(lambda message: "session_confirm" in message.text, timeout=TIMEOUT_MS)

    def load(self, url: str) -> None:
        with self._until_connected():
            self.page.goto(url)

    def reload(self) -> None:
        with self._until_connected():
            self.page.reload()

    def sign_in(self, customer_id: str) -> None:
        """The page's demo sign-in; the page reloads into a new conversation."""
        self.page.locator("#customer").select_option(customer_id)
        with self._until_connected():
            self.page.locator("#sign-in button[type=submit]").click()

    def sign_out(self) -> None:
        with self._until_connected():
            self.page.locator("#sign-out").click()

    def open(self) -> None:
        if "rw-chat-open" not in (self.page.locator(".rw-widget-container").get_attribute("class") or ""):
            self.page.locator(".rw-launcher").click()
        self.page.locator(".rw-new-message").wait_for(timeout=TIMEOUT_MS)

    def send(self, text: str) -> None:
        field = self.page.locator(".rw-new-message")
        field.fill(text)
        field.press("Enter")

    def click(self, button_title: str) -> None:
        self.page.locator(".rw-replies .rw-reply", has_text=button_title).last.click(timeout=TIMEOUT_MS)

    def wait_for_bot(self, text: str) -> str:
        message = self.page.locator(".rw-response", has_text=text).last
        message.wait_for(timeout=TIMEOUT_MS)
        return message.inner_text()

    def bot_message_count(self) -> int:
        return self.page.locator(".rw-response").count()

    def wait_for_bot_messages(self, count: int) -> None:
        self.page.locator(".rw-response").nth(count - 1).wait_for(timeout=TIMEOUT_MS)

    def transcript(self) -> str:
        return "\n".join(self.page.locator(".rw-message").all_inner_texts())


class Console:
    """The agent console in a page, used the way an agent uses it."""

    def __init__(self, page, url: str) -> None:
        self.page = page
        self.url = url

    def sign_in(self, name: str, password: str) -> None:
        self.page.goto(f"{self.url}/agent")
        self.page.locator("#name").fill(name)
        self.page.locator("#password").fill(password)
        self.page.locator("#login button[type=submit]").click()

    def signed_in_as(self, name: str, password: str) -> Console:
        self.sign_in(name, password)
        self.page.locator("#whoami", has_text=f"({name})").wait_for(timeout=TIMEOUT_MS)
        return self

    def ticket(self, ticket_id: str, listed_in: str = "#mine-list"):
        return self.page.locator(f"{listed_in} [data-ticket='{ticket_id}']")

    def open(self, ticket_id: str, listed_in: str = "#mine-list") -> None:
        self.ticket(ticket_id, listed_in).click(timeout=TIMEOUT_MS)
        self.page.locator("#ticket-head", has_text=ticket_id).wait_for(timeout=TIMEOUT_MS)

    def wait_for_line(self, kind: str, text: str) -> str:
        """A line of the conversation shown: kind customer, assistant, agent or note."""
        line = self.page.locator(f"#messages .message.{kind}", has_text=text).last
        line.wait_for(timeout=TIMEOUT_MS)
        return line.inner_text()

    def type_reply(self, text: str) -> None:
        self.page.locator("#reply-text").fill(text)

    def send(self, text: str) -> None:
        self.type_reply(text)
        self.page.locator("#send").click()

    def canned(self, name: str) -> str:
        """Types "/name", takes the first reply the menu offers; the reply box's text."""
        field = self.page.locator("#reply-text")
        field.fill("")
        field.press_sequentially("/" + name)
        self.page.locator(f"#canned-menu [data-name='{name}']").wait_for(timeout=TIMEOUT_MS)
        field.press("Enter")
        return field.input_value()
