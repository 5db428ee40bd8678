"""Tests for portal_engine_offers.ranker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from portal_engine.models import Candidate
from portal_engine.plugin_api import Context

from portal_engine_offers.prompt import to_candidate
from portal_engine_offers.ranker import OffersFallbackRanker

Factory = Callable[..., Any]


def _candidates(*offers: dict[str, Any], segment: str = "standard") -> list[Candidate]:
    made = [to_candidate(offer, segment) for offer in offers]
    return [candidate for candidate in made if candidate is not None]


def test_bigger_discount_ranks_first(context: Callable[..., Context], offer: Factory) -> None:
    """Of two offers at the same price, the one with the deeper discount ranks first."""
    small = offer("aa-small", discount_pct=5, price_gbp=3.0)
    big = offer("zz-big", discount_pct=30, price_gbp=3.0)
    items = OffersFallbackRanker().rank(context([small, big]), _candidates(small, big), limit=10)
    assert [item.id for item in items] == ["zz-big", "aa-small"]
    assert items[0].score > items[1].score


def test_better_price_fit_ranks_first(context: Callable[..., Context], offer: Factory) -> None:
    """Of two offers with the same discount, the one priced for the user's level ranks first."""
    pricey = offer("aa-pricey", discount_pct=10, price_gbp=25.0)
    fitting = offer("zz-fitting", discount_pct=10, price_gbp=3.3)
    ranker = OffersFallbackRanker()
    items = ranker.rank(context([pricey, fitting]), _candidates(pricey, fitting), limit=10)
    assert [item.id for item in items] == ["zz-fitting", "aa-pricey"]
    # For a premium shopper the dearer item is the better fit.
    rich = context([], profile={"price_level": 4})
    assert ranker.rank(rich, _candidates(pricey, fitting), limit=10)[0].id == "aa-pricey"


def test_never_more_than_limit_and_scores_between_0_and_1(
    context: Callable[..., Context], offer: Factory
) -> None:
    """The ranker returns at most ``limit`` items, each scored from 0 to 1."""
    offers = [
        offer(f"p{i}", discount_pct=discount, price_gbp=price)
        for i, (discount, price) in enumerate(
            [(0, 0.01), (100, 3.0), (30, 3.0), (15, 500.0), (5, 1.0), (200, 2.0)]
        )
    ]
    ranker = OffersFallbackRanker()
    candidates = _candidates(*offers)
    assert len(ranker.rank(context(offers), candidates, limit=3)) == 3
    items = ranker.rank(context(offers), candidates, limit=10)
    assert len(items) == len(offers)
    assert all(0.0 <= item.score <= 1.0 for item in items)
    assert ranker.rank(context(offers), candidates, limit=0) == []


def test_reason_names_discount_category_price_and_segment(
    context: Callable[..., Context], offer: Factory
) -> None:
    """The reason says what is off, what it costs now and whom it was picked for."""
    bowl = offer("22720", title="SET OF 3 CAKE TINS", price_gbp=4.95, discount_pct=25)
    (item,) = OffersFallbackRanker().rank(context([bowl]), _candidates(bowl), limit=1)
    assert item.reason == "25% off Kitchen & Dining, now £3.71, picked for standard members."
    assert item.title == "Set of 3 Cake Tins"
    assert item.id == "22720"
    assert item.details["price_after_discount_gbp"] == 3.71


def test_reason_names_the_interest_behind_a_liked_category(
    context: Callable[..., Context], offer: Factory
) -> None:
    """An offer in a category the user's interests point to says which interest it suits."""
    frame = offer("f1", category="Home Decor", price_gbp=2.0, discount_pct=10)
    (item,) = OffersFallbackRanker().rank(context([frame]), _candidates(frame), limit=1)
    assert item.reason == (
        "10% off Home Decor, now £1.80, picked for standard members and your interest in Art."
    )


def test_reason_without_discount_or_category_stays_plain(
    context: Callable[..., Context], offer: Factory
) -> None:
    """An offer with no discount and no category still gets a plain, true sentence."""
    plain = offer("x1", category="", price_gbp=2.5, discount_pct=0)
    (item,) = OffersFallbackRanker().rank(context([plain]), _candidates(plain), limit=1)
    assert item.reason == "This offer at £2.50, picked for standard members."


def test_ties_are_broken_by_id(context: Callable[..., Context], offer: Factory) -> None:
    """Offers that score the same come back in id order, so a set never reshuffles by itself."""
    offers = [offer(offer_id) for offer_id in ("c", "a", "b")]
    items = OffersFallbackRanker().rank(context(offers), _candidates(*offers), limit=3)
    assert [item.id for item in items] == ["a", "b", "c"]
