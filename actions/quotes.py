"""Installment quotes: what a plan costs for a price, or for the customer's own order.

The pieces are slots (domain.yml), none of which influences the conversation: the rules
(data/rules/quotes.yml) follow the intents, the order number and the forms, and the actions
read the pieces.

- `quote_price`: the price asked about (a plain decimal, "3999"), or `quote_order_id`: the
  order asked about. An order is quoted only once this conversation proved it owns it
  (order_verification_form; its lookup reports the outcome `quote`), and then with its own
  price, item (an interest-free offer is for an item) and, unless the question names
  others, its own method and periods;
- `quote_payment_method`, `quote_installments`: the plan.

action_start_quote takes what a question names; installment_quote_form asks for what is
missing, with buttons (validate_installment_quote_form, action_ask_quote_*);
action_give_quote answers with the figures (mall.quotes, with the order store's rates and
offers). action_quote_in_flow answers a quote asked in the middle of another flow from what
the message names and the order at hand, and never asks: that flow asks its own question
next.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import latest_message
from actions.buttons import inform, payment_method_buttons, plan_buttons
from actions.failures import GuardedFormValidation, apologise_on_failure
from actions.installments import (
    choose_periods,
    installment_methods,
    offered_periods,
    offered_variables,
    order_quote,
    plan_names,
    quote_for,
    terms,
)
from actions.order_lookup import describe_order
from actions.payment_change import candidate_values
from actions.services import order_store, tracker_language
from actions.verification import order_button_title, signed_in_customer, verified_order
from mall.catalog import PAID_IN_FULL, PaymentMethod, money, parse_plan, payment_method
from mall.orders import Order
from mall.plans import UnknownPlan
from mall.prices import parse_price

Slots = Dict[str, Any]
QUOTE_FORM = "installment_quote_form"
QUOTE_QUESTION = "ask_installment_quote"
QUOTE_SLOTS = ("quote_price", "quote_order_id", "quote_payment_method", "quote_installments")


def price_text(price: Decimal) -> str:
    """A price as the slot keeps it: "3999", "8999.5"."""
    return format(price.normalize(), "f")


def _one(value: Any) -> Any:
    """A slot filled from several entities holds a list: the first (the validators choose)."""
    return value[0] if isinstance(value, list) and value else value


@dataclass(frozen=True)
class QuoteRequest:
    """What a quote is about, as far as it is known: the subject (a price, or an order this
    conversation owns) and the plan, the order's own filling what the question left out."""

    price: Optional[Decimal]
    order: Optional[Order]
    method: Optional[str]
    periods: Optional[int]

    @property
    def needs_method(self) -> bool:
        """Paying in full costs the price whatever the method."""
        return self.method is None and self.periods != PAID_IN_FULL

    @property
    def complete(self) -> bool:
        return (self.price is not None or self.order is not None) and bool(self.periods) and not self.needs_method


def quote_order(tracker: Tracker) -> Optional[Order]:
    """The order the quote is about, if this conversation proved it owns it."""
    order = verified_order(tracker)
    return order if order and order.order_id == tracker.get_slot("quote_order_id") else None


def quote_request(tracker: Tracker) -> QuoteRequest:
    order = quote_order(tracker)
    named_price = _one(tracker.get_slot("quote_price"))
    price = None if order or not named_price else parse_price(str(named_price))
    method = payment_method(_one(tracker.get_slot("quote_payment_method")))
    periods = parse_plan(_one(tracker.get_slot("quote_installments")))
    if order is not None:
        own = payment_method(order.payment_method)
        if method is None and own and (own.allows_installments or periods == PAID_IN_FULL):
            method = own
        # The order's own number of periods, if the method has such a plan.
        if periods is None and method and order.installments in offered_periods(method.code):
            periods = order.installments
    return QuoteRequest(price, order, method.code if method else None, periods)


def tell_quote(dispatcher: CollectingDispatcher, request: QuoteRequest) -> bool:
    """Utters the quote for a complete request; False (and the plans there are, said) when
    the mall has no such plan."""
    method = payment_method(request.method)
    if method is None:  # paying in full, for a price: the price, whatever the method
        assert request.price is not None and request.periods == PAID_IN_FULL
        in_full = {"response": "utter_part_in_full", "total": money(request.price)}
        dispatcher.utter_message(response="utter_quote_in_full", price=money(request.price), terms=in_full)
        return True
    assert request.periods
    try:
        if request.order is not None:
            quote = order_quote(request.order, method.code, request.periods)
        else:
            assert request.price is not None
            quote = quote_for(request.price, None, method.code, request.periods)
    except UnknownPlan as unknown:
        say_plan_not_offered(dispatcher, method, request.periods, unknown.available)
        return False
    figures = {"price": money(quote.price), "terms": terms(quote), **plan_names(method, request.periods)}
    if request.order is None:
        dispatcher.utter_message(response="utter_quote_price", **figures)
    else:
        described = describe_order(request.order)
        dispatcher.utter_message(
            response="utter_quote_order", order_id=described["order_id"], items=described["items"], **figures
        )
    return True


def say_plan_not_offered(dispatcher: CollectingDispatcher, method: PaymentMethod, periods: int, offered: Any) -> None:
    dispatcher.utter_message(
        response="utter_quote_plan_not_offered",
        periods=periods,
        **plan_names(method, periods),
        **offered_variables(tuple(offered)),
    )


class ActionStartQuote(Action):
    """Takes what a quote question (or an answer naming an order) names. With no quote
    open, an order named, or a question naming a price and a plan, starts afresh (an order's
    own plan then counts); anything else adds to the quote open, or to the last one given
    ("那分24期呢": the same price, 24 periods; "what if it's 8999": the same plan). A
    follow-up that names nothing for a quote (a bare "5499" is read as a phone tail) asks
    which order or price, rather than repeat the last quote."""

    def name(self) -> str:
        return "action_start_quote"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        prices = latest_message.wanted_values(tracker, "price")
        orders = latest_message.distinct_values(tracker, "order_id")
        methods = latest_message.wanted_values(tracker, "payment_method")
        periods = latest_message.wanted_values(tracker, "installments")
        asked, _ = latest_message.intent(tracker)
        quote_open = (tracker.active_loop or {}).get("name") == QUOTE_FORM
        slots: Slots = {}
        new_question = asked == QUOTE_QUESTION and bool(prices) and bool(methods or periods)
        if not quote_open and (orders or new_question):
            slots = dict.fromkeys(QUOTE_SLOTS)
        elif asked != QUOTE_QUESTION and not (prices or orders or methods or periods):
            slots = {"quote_price": None, "quote_order_id": None}
        if prices:
            slots.update(quote_price=str(prices[0]), quote_order_id=None)
        if orders:  # the customer's own order rather than a price named beside it
            slots.update(quote_order_id=orders[0], quote_price=None)
        if methods:
            slots["quote_payment_method"] = methods if len(methods) > 1 else methods[0]
        if periods:
            slots["quote_installments"] = periods if len(periods) > 1 else periods[0]
        return [SlotSet(name, value) for name, value in slots.items()]


class ValidateInstallmentQuoteForm(GuardedFormValidation):
    """Asks for the price (or order), the method and the periods that are missing; an order's
    own method and periods count as given."""

    def name(self) -> str:
        return "validate_installment_quote_form"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        """The slots to ask for or to validate: the price unless an order is the subject; the
        method and the periods when named, or when the order does not give them."""
        request = quote_request(tracker)
        required = [] if request.order else ["quote_price"]
        if tracker.get_slot("quote_payment_method") or request.needs_method:
            required.append("quote_payment_method")
        if tracker.get_slot("quote_installments") is not None or request.periods is None:
            required.append("quote_installments")
        return required

    def extract_quote_price(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Slots:
        """A bare number answering the question for the price ("3999"): the digit extractor
        takes it for a phone tail, not knowing the question."""
        asked, _ = latest_message.intent(tracker)
        if tracker.get_slot("requested_slot") != "quote_price" or asked == QUOTE_QUESTION:
            return {}
        price = parse_price(latest_message.text(tracker))
        return {"quote_price": price_text(price)} if price is not None else {}

    def validate_quote_price(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        price = parse_price(str(_one(value))) if _one(value) is not None else None
        if price is None:
            dispatcher.utter_message(response="utter_quote_price_invalid")
            return {"quote_price": None}
        return {"quote_price": price_text(price), "quote_order_id": None}

    def validate_quote_payment_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        codes = candidate_values(value, tracker, "payment_method")
        known = [method for method in (payment_method(code) for code in codes) if method]
        if not codes:  # only ruled out ("不要花呗"): ask again
            return {"quote_payment_method": None}
        if not known:
            dispatcher.utter_message(response="utter_payment_method_unsupported")
            return {"quote_payment_method": None}
        order = quote_order(tracker)
        # "订单…从花呗换成信用卡每期多少" names the order's method too: the other one is asked about.
        method = next((m for m in reversed(known) if not order or m.code != order.payment_method), known[-1])
        periods = parse_plan(_one(tracker.get_slot("quote_installments")))
        if not method.allows_installments and periods != PAID_IN_FULL:
            dispatcher.utter_message(response="utter_quote_method_no_installments", **plan_names(method, PAID_IN_FULL))
            return {"quote_payment_method": None}
        slots: Slots = {"quote_payment_method": method.code}
        if periods not in (None, PAID_IN_FULL) and "quote_installments" not in tracker.slots_to_validate():
            offered = offered_periods(method.code)
            if periods not in offered:  # chosen earlier, and this method has no such plan
                say_plan_not_offered(dispatcher, method, periods, offered)
                slots["quote_installments"] = None
        return slots

    def validate_quote_installments(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Slots:
        named = candidate_values(value, tracker, "installments")
        if not named:  # only ruled out ("不要6期"): ask again
            return {"quote_installments": None}
        method = payment_method(quote_request(tracker).method)
        offered = offered_periods(method.code if method else None)
        choice = choose_periods(named, offered)
        if choice.periods is not None:
            return {"quote_installments": choice.periods}
        if choice.not_offered and method:
            say_plan_not_offered(dispatcher, method, choice.not_offered, offered)
        elif choice.not_offered:
            dispatcher.utter_message(
                response="utter_installments_not_offered", periods=choice.not_offered, **offered_variables(offered)
            )
        else:
            dispatcher.utter_message(response="utter_installments_invalid", **offered_variables(offered))
        return {"quote_installments": None}


class ActionAskQuotePrice(Action):
    """Which order or which price, with the customer's orders as buttons: a signed-in
    customer's open orders, or the order this conversation has proved it owns."""

    def name(self) -> str:
        return "action_ask_quote_price"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        customer = signed_in_customer(tracker)
        verified = verified_order(tracker)
        orders = order_store().orders.open_of(customer) if customer else ([verified] if verified else [])
        language = tracker_language(tracker)
        buttons = [inform(order_button_title(order, language), order_id=order.order_id) for order in orders]
        dispatcher.utter_message(response="utter_ask_quote_price", buttons=buttons)
        return []


class ActionAskQuotePaymentMethod(Action):
    """Which method, with a button per method the mall has plans for; about an order paid
    in full, saying so first."""

    def name(self) -> str:
        return "action_ask_quote_payment_method"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        buttons = payment_method_buttons(tracker_language(tracker), installment_methods())
        order = quote_order(tracker)
        if order is None:
            dispatcher.utter_message(response="utter_ask_quote_payment_method", buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_ask_quote_order_method", buttons=buttons, **describe_order(order))
        return []


class ActionAskQuoteInstallments(Action):
    """How many periods, with a button per plan the method has."""

    def name(self) -> str:
        return "action_ask_quote_installments"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        method = payment_method(quote_request(tracker).method)
        assert method is not None, "the form asks for the method before the periods"
        buttons = plan_buttons(offered_periods(method.code), tracker_language(tracker), in_full=False)
        dispatcher.utter_message(
            response="utter_ask_quote_installments", buttons=buttons, **plan_names(method, PAID_IN_FULL)
        )
        return []


class ActionGiveQuote(Action):
    """The quote, once the form has every piece. The pieces stay for a follow-up ("那24期呢")."""

    def name(self) -> str:
        return "action_give_quote"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        request = quote_request(tracker)
        if request.order is None and tracker.get_slot("quote_order_id"):
            dispatcher.utter_message(response="utter_order_not_verified")
            return [SlotSet("quote_order_id", None)]
        if not request.complete:
            dispatcher.utter_message(response="utter_quote_needs_details")
            return []
        return [] if tell_quote(dispatcher, request) else [SlotSet("quote_installments", None)]


class ActionQuoteInFlow(Action):
    """A quote asked in the middle of another flow (verifying an order, changing its method):
    the price it names, or the order at hand, on the plan it names, else the plan being
    chosen, else the order's own. Nothing asked: the flow asks its question next."""

    def name(self) -> str:
        return "action_quote_in_flow"

    @apologise_on_failure
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[str, Any]]:
        prices = latest_message.wanted_values(tracker, "price")
        named_orders = latest_message.distinct_values(tracker, "order_id")
        other_order = any(order_id != tracker.get_slot("order_id") for order_id in named_orders)
        order = None if prices or other_order else verified_order(tracker)
        methods = [m for m in map(payment_method, latest_message.wanted_values(tracker, "payment_method")) if m]
        method = methods[-1] if methods else payment_method(tracker.get_slot("new_payment_method"))
        if method is None and order is not None:
            method = payment_method(order.payment_method)
        if method is not None and not method.allows_installments:
            dispatcher.utter_message(response="utter_quote_method_no_installments", **plan_names(method, PAID_IN_FULL))
            return []
        offered = offered_periods(method.code) if method else ()
        named = choose_periods(latest_message.wanted_values(tracker, "installments"), offered)
        chosen = parse_plan(tracker.get_slot("new_installments"))
        own = order.installments if order else None
        periods = named.periods or next((p for p in (chosen, own) if p in offered), None)
        if method is not None and named.not_offered:
            say_plan_not_offered(dispatcher, method, named.not_offered, offered)
            return []
        price = parse_price(str(prices[0])) if prices else None
        request = QuoteRequest(price, order, method.code if method else None, periods)
        if not request.complete:
            dispatcher.utter_message(response="utter_quote_needs_details")
            return []
        tell_quote(dispatcher, request)
        return []
