"""The installment plans on offer, as the Rasa server's replies list them ({plans_zh},
{plans_en}: rasa_addons.nlg), read from the order store at most every
mall.settings.PLANS_CACHE_SECONDS.

The order store is the one home of the plans (mall.plans); the actions read it when they
need a plan. The replies that only list the plans (the installment options, say) are
rendered for every turn that shows them, so they read a copy at most that old: an FAQ turn
costs no database read, and plans the mall loads show there within that time. A store
with no plans yet (a new database before the demo's are seeded) is read again next time,
and a read that fails keeps the last plans read, if any, until the next try.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from sqlalchemy.exc import SQLAlchemyError

from mall import catalog, settings
from mall.db import Location
from mall.plans import Plan
from mall.store import OrderStore

logger = logging.getLogger(__name__)

PeriodsByMethod = Dict[str, Tuple[int, ...]]


def periods_by_method(plans: Sequence[Plan]) -> PeriodsByMethod:
    """Each method's numbers of periods, in the order `plans` lists them."""
    grouped: Dict[str, List[int]] = {}
    for plan in plans:
        grouped.setdefault(plan.method, []).append(plan.periods)
    return {method: tuple(periods) for method, periods in grouped.items()}


class OfferedPlans:
    """The plans `read` returns, read again once `max_age` seconds have passed."""

    def __init__(
        self,
        read: Callable[[], Sequence[Plan]],
        max_age: float = settings.PLANS_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._periods: Optional[PeriodsByMethod] = None
        self._read_at: Optional[float] = None

    @classmethod
    def of_store(
        cls,
        location: Location,
        max_age: float = settings.PLANS_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> OfferedPlans:
        """The plans of the order store at `location` (a SQLite file or a database URL),
        opened at the first read: a process that never lists plans never opens it."""
        opened: List[OrderStore] = []

        def read() -> List[Plan]:
            if not opened:
                opened.append(OrderStore(location))  # brings the schema up to date, as every process does
            return opened[0].plans.plans()

        return cls(read, max_age, clock)

    def periods_by_method(self) -> PeriodsByMethod:
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= self._max_age:
                self._refresh(now)
            return dict(self._periods or {})

    def template_variables(self) -> Dict[str, str]:
        """`plans_zh`, `plans_en` (mall.catalog.plan_variables)."""
        return catalog.plan_variables(self.periods_by_method())

    def _refresh(self, now: float) -> None:
        try:
            plans = self._read()
        except SQLAlchemyError:
            if self._periods is None:
                raise
            logger.warning("Could not read the installment plans; the replies list those read before", exc_info=True)
            self._read_at = now  # try again after max_age, not at every reply meanwhile
            return
        self._periods = periods_by_method(plans)
        self._read_at = now if plans else None  # none yet: read again next time
