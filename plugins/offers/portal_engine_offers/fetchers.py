"""The offers fetchers: the customer's segment and its offers from CIS, and the user's profile.

Every call goes through :func:`portal_engine.upstream.get_json`, so a 404 becomes
``UpstreamNotFound`` and the host sees the same errors, and retries the same failures, as for
every other type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import attrs
import httpx
from portal_engine.errors import UpstreamError
from portal_engine.plugin_api import FetchRequest
from portal_engine.upstream import get_json

#: How many offers CIS is asked for, at most.
OFFERS_LIMIT = 50


def _url(base: str, *segments: str) -> str:
    # httpx leaves "/" and ":" in a path alone, so a user id holding one would name another
    # resource; every segment is encoded whole.
    return base.rstrip("/") + "/" + "/".join(quote(segment, safe="") for segment in segments)


@attrs.define
class OffersFetcher:
    """Fetches the user's customer record from CIS, then the offers for their segment.

    Calls ``GET {cis}/v1/customers/{user_id}``, then ``GET {cis}/v1/offers?segment=&limit=50``.
    The offers depend on the segment, and the host runs fetchers side by side, so one fetcher
    makes both calls in turn; the customer record travels along in the answer instead of being
    fetched a second time by a fetcher of its own. Required: a customer CIS does not know fails
    the refresh with ``UpstreamNotFound``.
    """

    name: str = "offers"
    optional: bool = False

    async def fetch(self, client: httpx.AsyncClient, request: FetchRequest) -> Any:
        """Return ``{"customer": {...}, "segment": "...", "offers": [...]}``.

        Raises:
            UpstreamNotFound: CIS does not know the user.
            UpstreamError: the customer record names no segment.
        """
        cis = request.services.cis
        customer = await get_json(
            client, _url(cis, "v1", "customers", request.user_id), service="CIS"
        )
        segment = customer.get("segment") if isinstance(customer, Mapping) else None
        if not isinstance(segment, str) or not segment.strip():
            raise UpstreamError(
                "CIS", f"the customer record of user {request.user_id!r} names no segment"
            )
        answer = await get_json(
            client,
            _url(cis, "v1", "offers"),
            service="CIS",
            params={"segment": segment, "limit": OFFERS_LIMIT},
        )
        offers = answer.get("offers") if isinstance(answer, Mapping) else None
        return {
            "customer": dict(customer),
            "segment": segment,
            # Tolerate a missing or null list: a segment without offers simply has none.
            "offers": [offer for offer in offers or () if isinstance(offer, dict)],
        }


@attrs.define
class ProfileFetcher:
    """Fetches the user's profile (interests, price level) to personalise the offers.

    Calls ``GET {user_profile}/v1/users/{user_id}``; optional, so offers are still made for the
    segment alone when the profile service fails.
    """

    name: str = "profile"
    optional: bool = True

    async def fetch(self, client: httpx.AsyncClient, request: FetchRequest) -> Any:
        """Return the profile as the user profile service sends it."""
        url = _url(request.services.user_profile, "v1", "users", request.user_id)
        return await get_json(client, url, service="user profile")
