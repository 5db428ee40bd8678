"""Sample upstream answers and contexts shared by the offers tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from portal_engine.plugin_api import Context, FetchRequest
from portal_engine.testing import samples


def _profile(**overrides: Any) -> dict[str, Any]:
    return samples.profile(**{"interests": ["Concerts", "Art"], **overrides})


def _offer(offer_id: str, **overrides: Any) -> dict[str, Any]:
    offer: dict[str, Any] = {
        "id": offer_id,
        "title": f"PRODUCT {offer_id}",
        "category": "Kitchen & Dining",
        "price_gbp": 3.0,
        "discount_pct": 10,
    }
    offer.update(overrides)
    return offer


@pytest.fixture
def fetch_request() -> Callable[[str], FetchRequest]:
    """Make the request a fetcher gets for a user id."""
    return lambda user_id: samples.fetch_request(user_id, "offers")


@pytest.fixture
def customer() -> Callable[..., dict[str, Any]]:
    """Make a customer record as CIS sends it, with fields overridden."""
    return samples.customer


@pytest.fixture
def profile() -> Callable[..., dict[str, Any]]:
    """Make a user profile as the user profile service sends it, with fields overridden."""
    return _profile


@pytest.fixture
def offer() -> Callable[..., dict[str, Any]]:
    """Make an offer as CIS sends it, with fields overridden."""
    return _offer


@pytest.fixture
def context() -> Callable[..., Context]:
    """Make an offers context from offers and, optionally, a customer record and a profile.

    ``no_profile=True`` makes the context of a refresh whose profile fetcher failed.
    """

    def make(
        offers: list[dict[str, Any]],
        customer: dict[str, Any] | None = None,
        profile: dict[str, Any] | None = None,
        *,
        no_profile: bool = False,
    ) -> Context:
        record = customer if customer is not None else samples.customer()
        data: dict[str, Any] = {
            "offers": {"customer": record, "segment": record["segment"], "offers": offers}
        }
        if no_profile:
            return Context(user_id="u1", type="offers", data=data, missing=["profile"])
        data["profile"] = profile if profile is not None else _profile()
        return Context(user_id="u1", type="offers", data=data)

    return make
