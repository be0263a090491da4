"""Treated against holdout: the repeat-purchase rate of shoppers who got a rule's messages
against that of the shoppers held out of them (messaging.models.JourneyRule.holdout_percent),
with a 95 % confidence interval for the difference and a plain verdict.

The interval is the normal (Wald) interval of a difference of two proportions, with unpooled
standard errors; below MIN_GROUP shoppers in a group, or with an interval that contains 0,
the difference is "not yet significant", said in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959964
MIN_GROUP = 30  # below this the normal approximation is not to be trusted


@dataclass(frozen=True)
class Comparison:
    treated: int
    treated_repeats: int
    holdout: int
    holdout_repeats: int

    @property
    def treated_rate(self) -> float | None:
        return self.treated_repeats / self.treated if self.treated else None

    @property
    def holdout_rate(self) -> float | None:
        return self.holdout_repeats / self.holdout if self.holdout else None

    @property
    def difference(self) -> float | None:
        if self.treated_rate is None or self.holdout_rate is None:
            return None
        return self.treated_rate - self.holdout_rate

    @property
    def interval(self) -> tuple[float, float] | None:
        """The 95 % confidence interval of the difference, or None without both groups."""
        if self.difference is None:
            return None
        p1, p2 = self.treated_rate or 0.0, self.holdout_rate or 0.0
        error = math.sqrt(p1 * (1 - p1) / self.treated + p2 * (1 - p2) / self.holdout)
        return self.difference - Z_95 * error, self.difference + Z_95 * error

    @property
    def enough(self) -> bool:
        return self.treated >= MIN_GROUP and self.holdout >= MIN_GROUP

    @property
    def significant(self) -> bool:
        interval = self.interval
        return bool(self.enough and interval and (interval[0] > 0 or interval[1] < 0))

    @property
    def verdict(self) -> str:
        if not self.enough:
            return (f"Not yet significant: each group needs at least {MIN_GROUP} shoppers "
                    f"(now {self.treated} sent, {self.holdout} held out).")
        if not self.significant:
            return ("Not yet significant: the difference could be chance (its 95 % interval "
                    "includes no difference).")
        direction = "more" if (self.difference or 0) > 0 else "fewer"
        return (f"Significant: shoppers who got these messages ordered again {direction} "
                "often than those held out (95 % confidence).")
