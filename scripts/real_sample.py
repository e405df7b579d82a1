"""Draws more records from the public datasets already used (docs/DATA.md), for hand labelling
into data/real/labelled_extra.tsv (the second sample, training only) and
data/real/labelled_third.tsv (the third, measured and not trained on).

    python scripts/real_sample.py MIRROR_DIR OUT.tsv            # the second sample
    python scripts/real_sample.py --third MIRROR_DIR OUT.tsv    # the third: near-order out-of-scope

MIRROR_DIR holds git mirrors of the source repositories at the commits named in
data/real/sources/*/README.md (development time only; nothing is downloaded at run time).
Per (source, source label), at most LIMITS records are drawn after a seeded shuffle, from
records that are in none of data/real/sources/*/extract.tsv (the first sample), not in
data/real/labelled.tsv and not in either held-out set (texts compared as scripts/real_data.py
normalises them). The output lists source, source_label, text and the intent the source label
proposes; the intent of every row is then decided by reading it (docs/DATA.md, "Second sample").
The third sample also leaves out every record of the second (sources/*/extract_2.tsv) and draws
only labels near an order: orders, purchases, bills, deliveries, refunds and the status of
things that are not orders (docs/DATA.md, "Third sample").
"""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.real_data import CURATED_HOLDOUT, HOLDOUT_OUT, LABELLED, _intent_examples, normalise  # noqa: E402

SEED = 20250301

# (source, source label) -> (proposed intent, how many records at most)
CLINC = {
    "greeting": ("greet", 200),
    "goodbye": ("goodbye", 200),
    "thank_you": ("thank", 200),
    "yes": ("affirm", 200),
    "no": ("deny", 200),
    "are_you_a_bot": ("bot_challenge", 200),
    "what_can_i_ask_you": ("ask_help", 200),
    "order_status": ("check_order_status", 200),
    "oos": ("out_of_scope", 90),
}
CLINC_OOS_EACH = 5  # per out_of_scope label of the first sample
HINT3_IN_SCOPE = {  # every remaining record
    ("sofmattress", "ORDER_STATUS"): "check_order_status",
    ("sofmattress", "DELAY_IN_DELIVERY"): "check_order_status",
    ("sofmattress", "EMI"): "ask_installment_options",
    ("sofmattress", "COD"): "ask_installment_options",
    ("sofmattress", "LEAD_GEN"): "request_human",
    ("curekart", "ORDER_STATUS"): "check_order_status",
    ("curekart", "DELAY_IN_PARCEL"): "check_order_status",
    ("curekart", "ORDER_QUERY"): "check_order_status",
    ("curekart", "CHAT_WITH_AGENT"): "request_human",
    ("curekart", "CALL_CENTER"): "request_human",
    ("curekart", "MODES_OF_PAYMENTS"): "ask_installment_options",
    ("curekart", "ORDER_TAKING"): "out_of_scope",
    ("curekart", "PAYMENT_AND_BILL"): "out_of_scope",
    ("powerplay11", "CHAT_WITH_AN_AGENT"): "request_human",
    ("powerplay11", "CONTACT_NUMBER"): "request_human",
    ("powerplay11", "GREETINGS_DAY"): "greet",
    ("powerplay11", "THANKS"): "thank",
    ("powerplay11", "CAPABILITIES"): "ask_help",
}
HINT3_OOS_EACH = 12  # per other label of the first sample (NO_NODES_DETECTED: NO_NODES_EACH)
NO_NODES_EACH = {"sofmattress": 110, "curekart": 150, "powerplay11": 60}
DSTC11_IN_SCOPE = {
    ("insurance", "PayBill"): "ask_repayment",
    ("insurance", "CheckPaymentStatus"): "check_order_status",
    ("insurance", "UpdatePaymentPreference"): "change_payment_method",
    ("finance", "SetAutoPayment"): "ask_repayment",
}
DSTC11_OOS_EACH = 8
BANKING77_EACH = 6
HWU64 = {"general_praise": 45, "general_affirm": 40, "general_negate": 40, "general_quirky": 25, "general_joke": 15}
HWU64_OTHER_EACH = 5
HWU64_INTENTS = {"general_praise": "thank", "general_affirm": "affirm", "general_negate": "deny"}
EVERY_REMAINING = 10_000  # more than any label has
# The third sample: (source, label) -> how many records at most.
THIRD_CLINC = {
    "order": 15,
    "order_checks": 8,
    "shopping_list": 8,
    "shopping_list_update": 8,
    "transactions": 15,
    "spending_history": 15,
    "bill_balance": 10,
    "replacement_card_duration": 8,
    "application_status": 8,
    "lost_luggage": 5,
    "flight_status": 5,
    "pto_request_status": 5,
    "cancel_reservation": 8,
    "confirm_reservation": 5,
    "oos": 60,
}
THIRD_HINT3 = {  # bot -> label -> how many
    "curekart": {
        "CHECK_PINCODE": EVERY_REMAINING,
        "EXPIRY_DATE": EVERY_REMAINING,
        "NO_NODES_DETECTED": EVERY_REMAINING,
        "RESUME_DELIVERY": EVERY_REMAINING,
        "STORE_INFORMATION": EVERY_REMAINING,
    },
    "sofmattress": {"CHECK_PINCODE": EVERY_REMAINING},
}
THIRD_BANKING77 = {
    "card_arrival": 8,
    "card_delivery_estimate": 8,
    "Refund_not_showing_up": 8,
    "request_refund": 8,
    "order_physical_card": 5,
    "cancel_transfer": 5,
    "transfer_timing": 5,
}
HWU_DIR = "CrossValidation/autoGeneFromRealAnno/autoGene_2018_03_22-13_01_25_169/CrossValidation"


def git_show(repo: Path, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{path}"], check=True, capture_output=True).stdout


def git_ls(repo: Path, prefix: str) -> List[str]:
    command = ["git", "-C", str(repo), "ls-tree", "-r", "--name-only", "HEAD", prefix]
    out = subprocess.run(command, check=True, capture_output=True)
    return out.stdout.decode().splitlines()


def tsv_texts(paths: Iterable[Path]) -> Set[str]:
    texts: Set[str] = set()
    for path in paths:
        with path.open(encoding="utf-8", newline="") as f:
            texts.update(normalise(row["text"]) for row in csv.DictReader(f, delimiter="\t"))
    return texts


def excluded_texts() -> Set[str]:
    """The first sample (read or labelled) and both held-out sets."""
    texts = tsv_texts([*(ROOT / "data" / "real" / "sources").glob("*/extract.tsv"), LABELLED])
    for path in (HOLDOUT_OUT, CURATED_HOLDOUT):
        texts.update(normalise(text) for _, text in _intent_examples(path))
    return texts


def second_sample_texts() -> Set[str]:
    return tsv_texts((ROOT / "data" / "real" / "sources").glob("*/extract_2.tsv"))


def first_sample_labels() -> Dict[str, Set[str]]:
    """source -> source labels used in the first sample."""
    labels: Dict[str, Set[str]] = {}
    with LABELLED.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            labels.setdefault(row["source"], set()).add(row["source_label"])
    return labels


def draw(records: Iterable[Tuple[str, str]], limit: int, key: str, seen: Set[str]) -> List[Tuple[str, str]]:
    """Up to `limit` (label, text) records not seen before, after a seeded shuffle."""
    pool, keys = [], set()
    for label, text in sorted(set(records)):
        k = normalise(text)
        if k and k not in seen and k not in keys:
            keys.add(k)
            pool.append((label, text))
    random.Random(f"{SEED}-{key}").shuffle(pool)
    chosen = pool[:limit]
    seen.update(normalise(text) for _, text in chosen)
    return chosen


Row = Tuple[str, str, str, str]  # source, source_label, text, proposed intent


def clinc_records(mirror: Path) -> Dict[str, List[str]]:
    clinc = json.loads(git_show(mirror / "clinc+oos-eval/repo", "data/data_full.json"))
    by_label: Dict[str, List[str]] = {}
    for split in clinc.values():
        for text, label in split:
            by_label.setdefault(label, []).append(text)
    return by_label


def hint3_records(mirror: Path, bot: str) -> Dict[str, List[str]]:
    records: Dict[str, List[str]] = {}
    for split in ("train", "test"):
        data = git_show(mirror / "hellohaptik+HINT3/repo", f"dataset/v2/{split}/{bot}_{split}.csv").decode("utf-8")
        for record in csv.DictReader(io.StringIO(data)):
            records.setdefault(record["label"], []).append(record["sentence"])
    return records


def banking77_records(mirror: Path) -> Dict[str, List[str]]:
    records: Dict[str, List[str]] = {}
    for split in ("train", "test"):
        data = git_show(mirror / "PolyAI-LDN+task-specific-datasets/repo", f"banking_data/{split}.csv")
        for record in csv.DictReader(io.StringIO(data.decode("utf-8"))):
            records.setdefault(record["category"], []).append(record["text"])
    return records


def clinc_rows(mirror: Path, used: Dict[str, Set[str]], seen: Set[str]) -> List[Row]:
    by_label = clinc_records(mirror)
    plan = dict(CLINC)
    for label in sorted(used["clinc150"] - set(CLINC)):
        plan[label] = ("out_of_scope", CLINC_OOS_EACH)
    rows = []
    for label, (intent, limit) in sorted(plan.items()):
        for _, text in draw(((label, t) for t in by_label[label]), limit, f"clinc-{label}", seen):
            rows.append(("clinc150", label, text, intent))
    return rows


def hint3_rows(mirror: Path, used: Dict[str, Set[str]], seen: Set[str]) -> List[Row]:
    rows: List[Row] = []
    for bot in ("sofmattress", "curekart", "powerplay11"):
        records = hint3_records(mirror, bot)
        source = f"hint3_{bot}"
        labels = {label for (b, label) in HINT3_IN_SCOPE if b == bot} | used.get(source, set())
        for label in sorted(labels):
            if (bot, label) in HINT3_IN_SCOPE:
                intent, limit = HINT3_IN_SCOPE[(bot, label)], EVERY_REMAINING
            elif label == "NO_NODES_DETECTED":
                intent, limit = "out_of_scope", NO_NODES_EACH[bot]
            else:
                intent, limit = "out_of_scope", HINT3_OOS_EACH
            for _, text in draw(((label, t) for t in records.get(label, [])), limit, f"{source}-{label}", seen):
                rows.append((source, label, text, intent))
    return rows


def dstc11_rows(mirror: Path, used: Dict[str, Set[str]], seen: Set[str]) -> List[Row]:
    dstc, rows = mirror / "amazon-science+dstc11-track2-intent-induction/repo", []
    for domain, folder in (("insurance", "development"), ("banking", "test-banking"), ("finance", "test-finance")):
        records: Dict[str, List[str]] = {}
        for line in git_show(dstc, f"dstc11/{folder}/test-utterances.jsonl").decode("utf-8").splitlines():
            record = json.loads(line)
            records.setdefault(record["intent"], []).append(record["utterance"])
        source = f"dstc11_{domain}"
        labels = {label for (d, label) in DSTC11_IN_SCOPE if d == domain} | used.get(source, set())
        for label in sorted(labels):
            intent, limit = DSTC11_IN_SCOPE.get((domain, label), "out_of_scope"), DSTC11_OOS_EACH
            if (domain, label) in DSTC11_IN_SCOPE:
                limit = EVERY_REMAINING
            for _, text in draw(((label, t) for t in records.get(label, [])), limit, f"{source}-{label}", seen):
                rows.append((source, label, text, intent))
    return rows


def banking77_rows(mirror: Path, used: Dict[str, Set[str]], seen: Set[str]) -> List[Row]:
    records, rows = banking77_records(mirror), []
    for label in sorted(used["banking77"]):
        for _, text in draw(((label, t) for t in records[label]), BANKING77_EACH, f"banking77-{label}", seen):
            rows.append(("banking77", label, text, "out_of_scope"))
    return rows


def hwu64_rows(mirror: Path, used: Dict[str, Set[str]], seen: Set[str]) -> List[Row]:
    hwu, records, rows = mirror / "xliuhw+NLU-Evaluation-Data/repo", {}, []
    for path in git_ls(hwu, HWU_DIR):
        if "/testset/csv/" not in path:
            continue
        data = git_show(hwu, path).decode("utf-8")
        for record in csv.DictReader(io.StringIO(data), delimiter=";"):
            label = f"{record['scenario']}_{record['intent']}"
            records.setdefault(label, []).append(record["answer_from_user"])
    for label in sorted(used["hwu64"]):
        limit = HWU64.get(label, HWU64_OTHER_EACH)
        intent = HWU64_INTENTS.get(label, "out_of_scope")
        for _, text in draw(((label, t) for t in records.get(label, [])), limit, f"hwu64-{label}", seen):
            rows.append(("hwu64", label, text, intent))
    return rows


def third_sample(mirror: Path, seen: Set[str]) -> List[Row]:
    """Near-order records of CLINC150, HINT3 and BANKING77, all proposed as out_of_scope."""
    sources = [  # (source, key of the seeded draw, records by label, plan), drawn in this order
        ("clinc150", "clinc", clinc_records(mirror), THIRD_CLINC),
        *(
            (f"hint3_{bot}", f"hint3_{bot}", hint3_records(mirror, bot), plan)
            for bot, plan in sorted(THIRD_HINT3.items())
        ),
        ("banking77", "banking77", banking77_records(mirror), THIRD_BANKING77),
    ]
    rows: List[Row] = []
    for source, key, records, plan in sources:
        for label, limit in sorted(plan.items()):
            for _, text in draw(((label, t) for t in records[label]), limit, f"third-{key}-{label}", seen):
                rows.append((source, label, text, "out_of_scope"))
    return rows


def main(argv: List[str]) -> int:
    third = argv[:1] == ["--third"]
    mirror, out = Path(argv[-2]), Path(argv[-1])
    seen, used = excluded_texts(), first_sample_labels()
    rows: List[Row] = []
    if third:
        rows = third_sample(mirror, seen | second_sample_texts())
    else:
        for source_rows in (clinc_rows, hint3_rows, dstc11_rows, banking77_rows, hwu64_rows):
            rows += source_rows(mirror, used, seen)  # in this order: `seen` grows as each draws
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(["source", "source_label", "text", "proposed"])
        writer.writerows(rows)
    print(f"{len(rows)} records drawn -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
