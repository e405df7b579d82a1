"""python -m mall.review [--days N]: the messages the assistant did not understand, or had
to ask about, grouped by the intent it thought nearest, most frequent first.

Each group is printed as Rasa NLU training data under its nearest intent, so a reviewer
can move a line to the right intent's file in data/nlu/ (or fix the label) and retrain.
Texts are as the customers wrote them, phone numbers masked. Supervisors label them in the
console instead (/agent/review, mall.labelling): a labelled message leaves this list.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any, Dict, List, Optional, Tuple

from mall import settings
from mall.clock import utc_now
from mall.misses import NluMiss, normalised
from mall.store import OrderStore

UNKNOWN = "(no guess)"


Group = Tuple[str, List[Tuple[str, int]]]


def grouped(misses: List[NluMiss]) -> List[Group]:
    """[(intent, [(text, times), ...]), ...], the largest group first, texts by frequency."""
    texts: Dict[str, Counter] = defaultdict(Counter)
    for miss in misses:
        texts[miss.nearest_intent or UNKNOWN][normalised(miss.text)] += 1
    groups: List[Group] = [(intent, counter.most_common()) for intent, counter in texts.items()]
    return sorted(groups, key=lambda group: (-sum(times for _, times in group[1]), group[0]))


def review_list(misses: List[NluMiss]) -> List[Dict[str, Any]]:
    """The groups of `grouped`, each text with the conversations it was said in (newest
    first), for the console's review page."""
    conversations: Dict[str, List[str]] = defaultdict(list)
    for miss in reversed(misses):  # oldest first as stored: newest first here
        said_in = conversations[normalised(miss.text)]
        if miss.sender_id not in said_in:
            said_in.append(miss.sender_id)
    return [
        {
            "intent": intent,
            "total": sum(times for _, times in texts),
            "texts": [{"text": text, "times": times, "conversations": conversations[text]} for text, times in texts],
        }
        for intent, texts in grouped(misses)
    ]


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
        sys.stdout.write(report(store.misses.unlabelled(since)))
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
