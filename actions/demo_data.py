"""The demo orders of the product spec (section 4), loaded into a new database."""

from typing import Any, Dict, List

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
