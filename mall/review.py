"""python -m mall.review [--days N]: the messages the assistant did not understand, or had
to ask about, grouped by the intent it thought nearest, most frequent first.

Each group is printed as Rasa NLU training data under its nearest intent, so a reviewer
can move a line to the right intent's file in data/nlu/ (or fix the label) and retrain.
Texts are as the customers wrote them, phone numbers masked.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Dict, List, Optional, Tuple

from mall import settings
from mall.clock import utc_now
from mall.misses import NluMiss
from mall.store import OrderStore

UNKNOWN = "(no guess)"


Group = Tuple[str, List[Tuple[str, int]]]


def grouped(misses: List[NluMiss]) -> List[Group]:
    """[(intent, [(text, times), ...]), ...], the largest group first, texts by frequency."""
    texts: Dict[str, Counter] = defaultdict(Counter)
    for miss in misses:
        texts[miss.nearest_intent or UNKNOWN][" ".join(miss.text.split())] += 1
    groups: List[Group] = [(intent, counter.most_common()) for intent, counter in texts.items()]
    return sorted(groups, key=lambda group: (-sum(times for _, times in group[1]), group[0]))


def report(misses: List[NluMiss]) -> str:
    if not misses:
        return "No missed messages yet.\n"
    lines = [f"# {len(misses)} missed messages, grouped by the nearest intent", "nlu:"]
    for intent, texts in grouped(misses):
        total = sum(times for _, times in texts)
        lines.append(f"- intent: {intent}   # {total} messages, {len(texts)} different")
        lines.append("  examples: |")
        lines += [f"    - {text}" + (f"   # ×{times}" if times > 1 else "") for text, times in texts]
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=None, help="only the last N days")
    args = parser.parse_args(argv)
    store = OrderStore(settings.orders_database())
    try:
        since = utc_now() - timedelta(days=args.days) if args.days else None
        sys.stdout.write(report(store.misses.since(since)))
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
