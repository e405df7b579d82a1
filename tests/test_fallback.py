"""Not understood: say so; the second time in a row, offer a human."""

from actions.fallback import ActionNotUnderstood
from tests.support import run, tracker, user_event


def test_first_time_offers_the_main_topics(domain):
    result = run(
        ActionNotUnderstood(),
        tracker(text="asdf qwer", intent="nlu_fallback", events=[user_event("hi", "greet")]),
        domain,
    )
    assert result.responses == ["utter_not_understood"] and result.followup is None


def test_second_time_in_a_row_offers_a_human(domain):
    earlier = [user_event("asdf", "nlu_fallback"), {"event": "bot", "text": "Sorry?"}]
    result = run(ActionNotUnderstood(), tracker(text="qwer zxcv", intent="nlu_fallback", events=earlier), domain)
    assert result.responses == [] and result.followup == "utter_offer_human"


def test_understood_message_in_between_resets(domain):
    earlier = [user_event("asdf", "nlu_fallback"), user_event("hi", "greet")]
    result = run(ActionNotUnderstood(), tracker(text="qwer", intent="nlu_fallback", events=earlier), domain)
    assert result.responses == ["utter_not_understood"]
