"""The offers fetchers: the customer's segment and its offers from CIS, and the user's profile.

The customer record and the profile are fetched by the core's clients
(:mod:`portal_engine.services`), so a 404 becomes ``UpstreamNotFound`` and the host sees the same
errors, and retries the same failures, as for every other type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import httpx
from portal_engine import services
from portal_engine.errors import UpstreamError
from portal_engine.plugin_api import FetchRequest
from portal_engine.services import get_customer, json_list, service_url
from portal_engine.upstream import get_json

#: How many offers CIS is asked for, at most.
OFFERS_LIMIT = 50


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
        customer = await get_customer(client, request.services, request.user_id)
        segment = customer.get("segment") if isinstance(customer, Mapping) else None
        if not isinstance(segment, str) or not segment.strip():
            raise UpstreamError(
                "CIS", f"the customer record of user {request.user_id!r} names no segment"
            )
        answer = await get_json(
            client,
            service_url(request.services.cis, "v1", "offers"),
            service="CIS",
            params={"segment": segment, "limit": OFFERS_LIMIT},
        )
        return {
            "customer": dict(customer),
            "segment": segment,
            "offers": json_list(answer, "offers"),
        }


@attrs.frozen
class ProfileFetcher(services.ProfileFetcher):
    """The core's profile fetcher, optional here.

    The profile (interests, price level) only personalises the offers, so they are still made
    for the segment alone when the profile service fails.
    """

    optional: bool = True
