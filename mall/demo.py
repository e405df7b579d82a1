"""The demo orders of the product spec (section 4), and the command that loads them.

    python -m mall.demo init    a new (or empty) database gets the demo orders and customers
    python -m mall.demo reset   every table back to the demo state

The demo customers are the owners of the demo orders, one per phone number: they are who
one can sign in as on the demo mall page (webapp). The demo's installment plans and offers
(issue 20: the mall's example settings, not the platforms' real prices) are the file
data/plans/demo_plans.csv, in the format the mall loads its own with (mall.plans). A new
helpdesk also gets a few canned replies to start from (DEMO_CANNED_REPLIES; supervisors edit
them in the console).

The database is the one named by DATABASE_URL or ORDERS_DB (mall.settings). Opening a store never loads
demo data: only this command and the action server's first start do (mall.demo.init).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from mall import settings
from mall.audit import SYSTEM
from mall.plans import Offer, Plan, read_csv
from mall.store import OrderStore

DEMO_CREATED_AT = "2026-11-01T10:00:00+08:00"

_ROWS = [
    ("5201121000000001", "13800001234", "unpaid", "huabei", 12, 3999.00, "Xiaomi 14 12GB+256GB"),
    ("5201121000000002", "13800001234", "paid", "credit_card", 6, 5499.00, "Redmi Book Pro 15"),
    ("5201121000000003", "13900005678", "shipped", "huabei", 3, 1299.00, "Redmi Note 13 Pro"),
    ("5201121000000004", "13900005678", "completed", "wechat_pay", 1, 199.00, "Xiaomi Smart Band 8"),
    ("5201121000000005", "13700009012", "cancelled", "alipay", 1, 2999.00, "Xiaomi Pad 6"),
    ("5201121000000006", "13700009012", "unpaid", "credit_card", 24, 8999.00, "Xiaomi TV S Pro 85"),
    ("5201121000000007", "13600003456", "refunded", "huabei", 6, 999.00, "Xiaomi Robot Vacuum X10"),
    ("5201121000000008", "13600003456", "unpaid", "debit_card", 1, 1999.00, "Xiaomi Watch S3"),
]

DEMO_ORDERS: List[Dict[str, Any]] = [
    {
        "order_id": order_id,
        "phone": phone,
        "status": status,
        "payment_method": method,
        "installments": installments,
        "total": total,
        "items": [{"name": item, "quantity": 1}],
        "replaced_by": None,
        "replaces": None,
        "created_at": DEMO_CREATED_AT,
        "updated_at": DEMO_CREATED_AT,
    }
    for order_id, phone, status, method, installments, total, item in _ROWS
]
DEMO_ORDER_IDS = frozenset(order["order_id"] for order in DEMO_ORDERS)

# Names for the owners of the demo orders' phones, in the order the phones first appear.
_NAMES = [("张伟", "Zhang Wei"), ("李娜", "Li Na"), ("王芳", "Wang Fang"), ("刘洋", "Liu Yang")]
_PHONES = list(dict.fromkeys(order["phone"] for order in DEMO_ORDERS))
DEMO_CUSTOMERS: List[Dict[str, Any]] = [
    {"customer_id": f"customer-{phone[-4:]}", "phone": phone, "name_zh": zh, "name_en": en}
    for phone, (zh, en) in zip(_PHONES, _NAMES, strict=True)
]
# What the demo "My Orders" page lists: one order of each kind the assistant handles.
SHOWCASE_ORDER_IDS = ("5201121000000001", "5201121000000003", "5201121000000005")


DEMO_PLANS_FILE = settings.ROOT / "data" / "plans" / "demo_plans.csv"
DEMO_CANNED_REPLIES: List[Dict[str, str]] = [
    {
        "name": "hello",
        "text_zh": "您好，我是客服{agent_name}，您的工单 {ticket_id} 由我来处理，请稍等，我先看一下您的情况。",
        "text_en": "Hi, I'm {agent_name} and I'll take care of ticket {ticket_id}. Give me a moment to look at it.",
    },
    {
        "name": "order",
        "text_zh": "我查到了您的订单 {order_id}，正在为您处理，请不要关闭聊天窗口。",
        "text_en": "I've found your order {order_id} and I'm working on it. Please keep this chat open.",
    },
    {
        "name": "bye",
        "text_zh": "还有其他问题随时找我们，也可以拨打客服热线 {hotline}（每天 {agent_hours}）。祝您购物愉快！",
        "text_en": "Anything else, we're here, or call {hotline} (daily {agent_hours}). Enjoy your purchase!",
    },
]


def demo_plans() -> Tuple[List[Plan], List[Offer]]:
    return read_csv(DEMO_PLANS_FILE.read_text(encoding="utf-8"))


def init(store: OrderStore) -> bool:
    """Load the demo orders into an empty database (and the customers, and the demo's
    installment plans, into a database that has none yet, one made before there were any),
    and the first canned replies into a new one; True if it had no orders."""
    store.plans.seed_if_empty(*demo_plans())
    seeded = store.seed_if_empty(DEMO_ORDERS, DEMO_CUSTOMERS)
    if seeded:
        store.canned.seed_if_empty(DEMO_CANNED_REPLIES, SYSTEM)
    return seeded


def reset(store: OrderStore) -> None:
    """Orders, customers and plans as the demo starts, in one transaction, and the first
    canned replies if the helpdesk has none (agents and their canned replies are kept)."""
    plans, offers = demo_plans()
    with store.db.transaction("orders", "installment_plans"):
        store.replace_all(DEMO_ORDERS, DEMO_CUSTOMERS)
        store.plans.replace_all(plans, offers)
        store.canned.seed_if_empty(DEMO_CANNED_REPLIES, SYSTEM)


def main(argv: List[str], path: Optional[Union[str, Path]] = None) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command not in {"init", "reset"}:
        print("usage: python -m mall.demo init|reset", file=sys.stderr)
        return 2
    store = OrderStore(path or settings.orders_database())
    try:
        if command == "reset":
            reset(store)
            note = " (demo data restored)"
        else:
            note = " (demo orders loaded)" if init(store) else ""
        print(f"{store.db.display_name}: {store.orders.count()} orders{note}")
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
