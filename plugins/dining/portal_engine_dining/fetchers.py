"""The dining fetcher of places near the user's locations.

The user's profile and customer record come from the core's fetchers,
:class:`~portal_engine.services.ProfileFetcher` and
:class:`~portal_engine.services.CustomerFetcher`.
"""

from __future__ import annotations

from typing import Any

import attrs
import httpx
from portal_engine.plugin_api import FetchRequest
from portal_engine.services import nearby

#: How far from each of the user's locations places are searched, in kilometres.
SEARCH_RADIUS_KM = 2
#: How many places the places service returns per location, at most.
PLACES_PER_LOCATION = 100


@attrs.define
class PlacesFetcher:
    """Fetches the user's locations from LIE, then the dining places near each of them.

    Calls ``GET {lie}/v1/users/{user_id}/locations``, then ``GET {lie}/v1/places/nearby`` once per
    location, concurrently (see :func:`portal_engine.services.nearby`). A place near several
    locations is kept once, with its distance to the nearest and that location in ``near``
    (``"home (Astoria)"``).
    """

    name: str = "places"
    optional: bool = False

    async def fetch(self, client: httpx.AsyncClient, request: FetchRequest) -> Any:
        """Return ``{"locations": [...], "places": [...]}``, places nearest first."""
        found = await nearby(
            client,
            request.services,
            request.user_id,
            kind="dining",
            radius_km=SEARCH_RADIUS_KM,
            limit=PLACES_PER_LOCATION,
        )
        return {"locations": found.locations, "places": found.places}
