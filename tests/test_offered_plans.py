"""The plans the replies list ({plans_zh}, {plans_en}): read from the order store, at most
every mall.settings.PLANS_CACHE_SECONDS (mall.offered_plans), worded by mall.catalog, and
rendered by the Rasa server's response generator, with the parts of replies it fills in."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import List

import pytest
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import OperationalError

from mall import settings, support
from mall.catalog import periods_text, plan_variables
from mall.offered_plans import OfferedPlans
from mall.plans import Plan, main
from rasa_addons.nlg import BilingualNLG
from tests.support import assistant_domain, demo_store

HUABEI_3 = Plan("huabei", 3, Decimal("0.023"))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Reads:
    """A store's plans as a list the test changes, counting the reads."""

    def __init__(self, plans: List[Plan]) -> None:
        self.plans = plans
        self.count = 0
        self.failing = False

    def __call__(self) -> List[Plan]:
        self.count += 1
        if self.failing:
            raise OperationalError("SELECT", {}, Exception("the database is down"))
        return list(self.plans)


def test_the_plans_are_read_once_for_many_replies_until_they_are_old():
    reads, clock = Reads([HUABEI_3]), Clock()
    plans = OfferedPlans(reads, max_age=30, clock=clock)
    for _ in range(100):
        assert plans.periods_by_method() == {"huabei": (3,)}
    assert reads.count == 1
    reads.plans = [HUABEI_3, Plan("huabei", 6, Decimal("0.045"))]
    clock.now += 29.9
    assert plans.periods_by_method() == {"huabei": (3,)}
    clock.now += 0.1
    assert plans.periods_by_method() == {"huabei": (3, 6)} and reads.count == 2


def test_a_store_without_plans_yet_is_read_again_at_the_next_reply():
    reads = Reads([])
    plans = OfferedPlans(reads, max_age=30, clock=Clock())
    assert plans.periods_by_method() == {}
    reads.plans = [HUABEI_3]
    assert plans.periods_by_method() == {"huabei": (3,)} and reads.count == 2


def test_a_failed_read_keeps_the_plans_read_before_until_the_next_try():
    reads, clock = Reads([HUABEI_3]), Clock()
    plans = OfferedPlans(reads, max_age=30, clock=clock)
    plans.periods_by_method()
    reads.failing = True
    clock.now += 30
    assert plans.periods_by_method() == {"huabei": (3,)}
    assert plans.periods_by_method() == {"huabei": (3,)} and reads.count == 2  # not again at once
    reads.failing = False
    clock.now += 30
    assert plans.periods_by_method() == {"huabei": (3,)} and reads.count == 3


def test_a_failed_first_read_is_the_failure_it_is():
    reads = Reads([HUABEI_3])
    reads.failing = True
    with pytest.raises(OperationalError):
        OfferedPlans(reads, clock=Clock()).periods_by_method()


def test_plans_loaded_with_the_command_show_within_the_cache_time(tmp_path):
    store = demo_store(tmp_path / "orders.db")
    clock = Clock()
    plans = OfferedPlans.of_store(tmp_path / "orders.db", clock=clock)
    assert plans.template_variables() == {"plans_zh": "3、6、12、24 期", "plans_en": "3, 6, 12 or 24 months"}
    (tmp_path / "plans.csv").write_text(
        "kind,method,periods,rate,item\nplan,huabei,6,0.04,\nplan,credit_card,6,0.04,\n"
    )
    assert main(["plans", "load", str(tmp_path / "plans.csv")], tmp_path / "orders.db") == 0
    assert plans.template_variables()["plans_zh"] == "3、6、12、24 期"  # read less than the cache time ago
    clock.now += settings.PLANS_CACHE_SECONDS
    assert plans.template_variables() == {"plans_zh": "6 期", "plans_en": "6 months"}
    store.close()


def test_plans_that_differ_by_method_are_listed_by_method():
    variables = plan_variables({"huabei": (3, 6, 12), "credit_card": (3, 6, 12, 24)})
    assert variables == {
        "plans_zh": "花呗 3、6、12 期，信用卡 3、6、12、24 期",
        "plans_en": "3, 6 or 12 months with Huabei; 3, 6, 12 or 24 months with credit card",
    }
    assert plan_variables({}) == {"plans_zh": "", "plans_en": ""}
    assert periods_text((12,), "en") == "12 months" and periods_text((3, 6), "zh") == "3、6 期"


def render(name: str, said: str, **variables):
    domain = assistant_domain()
    conversation = DialogueStateTracker.from_events(
        "t", [ActionExecuted("action_listen"), UserUttered(said)], slots=domain.slots
    )
    generator = BilingualNLG()  # as Rasa's agent makes it: the responses come with the model
    generator.responses = domain.responses
    return asyncio.run(generator.generate(name, conversation, "rest", **variables))["text"]


def test_the_installment_options_list_the_stores_plans(store):
    store.plans.replace_all([HUABEI_3, Plan("credit_card", 18, Decimal("0.1"))], [])
    assert "期数一般有 花呗 3 期，信用卡 18 期，以结算页显示为准" in render("utter_installment_options", "能分几期")
    assert "usually over 3 months with Huabei; 18 months with credit card;" in render(
        "utter_installment_options", "how many months"
    )


def test_a_part_of_a_reply_is_rendered_in_the_replys_language(store):
    terms = {"response": "utter_part_in_full", "total": "¥3,999.00"}
    variables = {"price": "¥3,999.00", "terms": terms}
    assert render("utter_quote_in_full", "一次付清多少", **variables).startswith(
        "¥3,999.00 一次付清：共 ¥3,999.00，没有手续费。"
    )
    assert render("utter_quote_in_full", "in full?", **variables).startswith(
        "¥3,999.00 paid in full: ¥3,999.00, no fee."
    )


def test_only_a_reply_that_lists_the_plans_reads_them(store):
    """The apology for a database that is down must not need the database."""
    domain = assistant_domain()
    generator = BilingualNLG(domain=domain)
    reads = Reads([HUABEI_3])
    reads.failing = True
    generator._plans = OfferedPlans(reads, clock=Clock())
    conversation = DialogueStateTracker.from_events("t", [UserUttered("你好")], slots=domain.slots)
    for name in ("utter_greet", support.APOLOGY_RESPONSE, "utter_installment_fees"):
        assert asyncio.run(generator.generate(name, conversation, "rest"))["text"]
    assert reads.count == 0
    with pytest.raises(OperationalError):
        asyncio.run(generator.generate("utter_installment_options", conversation, "rest"))
