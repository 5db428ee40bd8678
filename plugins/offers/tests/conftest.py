"""Sample upstream answers and contexts shared by the offers tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from portal_engine.plugin_api import Context, FetchRequest, ServiceURLs

SERVICES = ServiceURLs(
    user_profile="http://profile.test", lie="http://lie.test", cis="http://cis.test"
)


def _customer(**overrides: Any) -> dict[str, Any]:
    customer: dict[str, Any] = {
        "customer_id": "u1",
        "segment": "standard",
        "price_level": 2,
        "member_since": "2021-02-24",
    }
    customer.update(overrides)
    return customer


def _profile(**overrides: Any) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "user_id": "u1",
        "display_name": "Ana",
        "price_level": 2,
        "interests": ["Concerts", "Art"],
    }
    profile.update(overrides)
    return profile


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
    return lambda user_id: FetchRequest(user_id=user_id, type="offers", services=SERVICES)


@pytest.fixture
def customer() -> Callable[..., dict[str, Any]]:
    """Make a customer record as CIS sends it, with fields overridden."""
    return _customer


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
        record = customer if customer is not None else _customer()
        data: dict[str, Any] = {
            "offers": {"customer": record, "segment": record["segment"], "offers": offers}
        }
        if no_profile:
            return Context(user_id="u1", type="offers", data=data, missing=["profile"])
        data["profile"] = profile if profile is not None else _profile()
        return Context(user_id="u1", type="offers", data=data)

    return make
