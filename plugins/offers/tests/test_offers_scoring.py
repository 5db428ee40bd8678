"""Tests for portal_engine_offers.scoring."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from portal_engine.plugin_api import Context

from portal_engine_offers.scoring import Shopper, liked_categories, price_fit, score

Factory = Callable[..., Any]


def test_price_level_comes_from_profile_then_customer_then_segment(
    context: Callable[..., Context], customer: Factory, profile: Factory
) -> None:
    """The user's own price level wins; without it the CIS one, then the segment's usual one."""
    record = customer(segment="premium", price_level=4)
    assert Shopper.from_context(context([], record, profile(price_level=1))).price_level == 1
    assert Shopper.from_context(context([], record, no_profile=True)).price_level == 4
    bare = customer(segment="premium", price_level=None)
    assert Shopper.from_context(context([], bare, no_profile=True)).price_level == 3
    unknown = customer(segment="platinum", price_level="high")
    assert Shopper.from_context(context([], unknown, no_profile=True)).price_level == 2
    assert Shopper.from_context(context([], record, profile(price_level=9))).price_level == 4


def test_interests_point_to_categories() -> None:
    """Interests named like a category, or clearly linked to one, mark that category as liked."""
    liked = liked_categories(["Concerts", "Best for Kids", "home decor"])
    assert liked == {
        "concerts": "Concerts",
        "best for kids": "Best for Kids",
        "toys & games": "Best for Kids",
        "home decor": "home decor",
    }


@pytest.mark.parametrize(
    ("price", "fit"), [(3.0, 1.0), (6.0, 0.5), (1.5, 0.5), (12.0, 0.0), (40.0, 0.0), (0.0, 0.0)]
)
def test_price_fit_falls_off_on_a_log_scale(price: float, fit: float) -> None:
    """Double or half the target fits half as well; four times off or more does not fit."""
    assert price_fit(price, 3.0) == pytest.approx(fit)


def test_score_weighs_discount_fit_and_affinity_within_0_and_1(
    context: Callable[..., Context],
) -> None:
    """A deep discount at the right price in a liked category scores 1; nothing good scores 0."""
    shopper = Shopper.from_context(context([]))  # standard, level 2, interested in Art
    best = {"discount_pct": 60, "price_after_discount_gbp": 3.0, "category": "Home Decor"}
    worst = {"discount_pct": 0, "price_after_discount_gbp": 50.0, "category": "Toys & Games"}
    broken = {"discount_pct": float("nan"), "price_after_discount_gbp": None, "category": None}
    assert score(best, shopper) == 1.0
    assert score(worst, shopper) == 0.0
    assert score(broken, shopper) == 0.0
