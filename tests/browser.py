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
