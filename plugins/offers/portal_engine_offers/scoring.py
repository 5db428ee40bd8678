"""How good an offer is for a user without asking the LLM.

One score serves twice: the prompt builder uses it to pick which offers the LLM sees, and the
fallback ranker serves it when the LLM answer is unusable, so both agree on what "good" means.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from portal_engine.plugin_api import Context
from portal_engine.ranking import name_key

# The discount weighs most: it is what makes an offer an offer. Price fit comes next, and a
# category the user cares about lifts an offer over an otherwise equal one.
DISCOUNT_WEIGHT = 0.45
PRICE_FIT_WEIGHT = 0.35
AFFINITY_WEIGHT = 0.2

#: A discount this deep or deeper earns the full discount part of the score.
FULL_DISCOUNT_PCT = 50

#: The price, after discount, a user of each price level (1 budget ... 4 premium) is most
#: likely to pay for a gift; each level doubles the one below.
TARGET_PRICE_GBP = {1: 1.5, 2: 3.0, 3: 6.0, 4: 12.0}
#: A price this many times off the target (either way) no longer fits at all.
PRICE_FIT_SPAN = 4.0

#: The price level a segment usually shops at, for users whose price level is unknown.
SEGMENT_PRICE_LEVEL = {"value": 1, "standard": 2, "premium": 3}
DEFAULT_PRICE_LEVEL = 2

#: Product categories that suit a profile interest. The profile's interests are activities
#: (they drive the events type), so only the few with an obvious link to giftware are mapped;
#: an interest named exactly like a category counts too.
INTEREST_CATEGORIES: Mapping[str, tuple[str, ...]] = {
    "art": ("Home Decor",),
    "arts & crafts": ("Stationery & Gift Wrap",),
    "best for kids": ("Toys & Games",),
    "nature": ("Garden & Outdoor",),
    "waterfront": ("Garden & Outdoor",),
}


#: Normalises a category name for comparison: ``" home decor "`` and ``"Home Decor"`` are one.
category_key = name_key


@attrs.frozen
class Shopper:
    """What the ranking knows about the user: segment, price level and the interests it can use.

    Args:
        segment: the customer segment from CIS.
        price_level: 1 (budget) to 4 (premium).
        interests: the profile's interests, as written.
        liked: each liked category (normalised by :func:`category_key`) with the interest that
            suggests it.
    """

    segment: str
    price_level: int
    interests: tuple[str, ...] = ()
    liked: Mapping[str, str] = attrs.field(factory=dict)

    @classmethod
    def from_context(cls, context: Context) -> Shopper:
        """Read the shopper from the ``offers`` and (when it came) ``profile`` parts of ``context``.

        The price level is the profile's, else the customer record's, else the segment's usual
        one: the profile says what the user chose, CIS what they were classed as.
        """
        offers = _mapping(context.data.get("offers"))
        profile = _mapping(context.data.get("profile"))
        customer = _mapping(offers.get("customer"))
        segment = str(offers.get("segment") or customer.get("segment") or "").strip()
        level = _price_level(profile.get("price_level"))
        level = level or _price_level(customer.get("price_level"))
        level = level or SEGMENT_PRICE_LEVEL.get(segment.casefold(), DEFAULT_PRICE_LEVEL)
        interests = _strings(profile.get("interests"))
        return cls(
            segment=segment,
            price_level=level,
            interests=interests,
            liked=liked_categories(interests),
        )

    @property
    def target_price(self) -> float:
        """The price, in GBP, that fits this shopper best."""
        return TARGET_PRICE_GBP[self.price_level]

    def interest_in(self, category: object) -> str | None:
        """The interest that makes ``category`` a liked one, or None."""
        return self.liked.get(category_key(category))


def liked_categories(interests: Iterable[str]) -> dict[str, str]:
    """Map each category the interests point to (normalised) to the first interest naming it."""
    liked: dict[str, str] = {}
    for interest in interests:
        key = category_key(interest)
        for category in (key, *map(category_key, INTEREST_CATEGORIES.get(key, ()))):
            liked.setdefault(category, interest)
    return liked


def price_fit(price_gbp: float, target_gbp: float) -> float:
    """How well a price fits a target, from 1 (spot on) to 0 (``PRICE_FIT_SPAN`` times off).

    Measured on a log scale, so twice the target fits as well as half of it.
    """
    if price_gbp <= 0 or target_gbp <= 0:
        return 0.0
    off = abs(math.log(price_gbp / target_gbp)) / math.log(PRICE_FIT_SPAN)
    return max(0.0, 1.0 - off)


def score(details: Mapping[str, Any], shopper: Shopper) -> float:
    """Score an offer (a candidate's details) from 0 to 1 for a shopper.

    Args:
        details: needs ``discount_pct``, ``price_after_discount_gbp`` and ``category``.
        shopper: whose segment, price level and interests to fit.

    Returns:
        The weighted sum of the discount (full at :data:`FULL_DISCOUNT_PCT`), the fit of the
        price after discount to the shopper's target price, and the category affinity, rounded
        to three places.
    """
    discount = min(max(_number(details.get("discount_pct")), 0.0), FULL_DISCOUNT_PCT)
    fit = price_fit(_number(details.get("price_after_discount_gbp")), shopper.target_price)
    affinity = 1.0 if shopper.interest_in(details.get("category")) else 0.0
    total = (
        DISCOUNT_WEIGHT * discount / FULL_DISCOUNT_PCT
        + PRICE_FIT_WEIGHT * fit
        + AFFINITY_WEIGHT * affinity
    )
    return round(total, 3)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):  # one interest sent bare instead of as a list
        value = [value]
    if not isinstance(value, list | tuple):
        return ()
    return tuple(item.strip() for item in value if isinstance(item, str) and item.strip())


def _price_level(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return min(max(round(value), 1), 4)


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 0.0
    return float(value)
