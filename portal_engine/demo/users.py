"""The demo's made-up users, ``user-1`` to ``user-50``.

A development tool: these are no real people. They are drawn deterministically
(``random.Random(42)``) from the demo data set, so every run and every machine sees the same users,
and drawn so that each one has something to recommend. Every user lives and works in
neighbourhoods with at least :data:`MIN_PLACES_NEAR` dining places within
:data:`~portal_engine.demo.dataset.DEFAULT_RADIUS_KM`, and near home or work has at least
:data:`MIN_ALLOWED` places not of a disliked cuisine, :data:`MIN_LIKED` of them of a liked cuisine,
even counting only the nearest places the stand-in location service returns by default.
"""

from __future__ import annotations

import functools
import random
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta

import attrs

from portal_engine.demo.dataset import (
    DEFAULT_NEARBY_LIMIT,
    DEFAULT_RADIUS_KM,
    Dataset,
    DemoUser,
    Neighbourhood,
    Restaurant,
    load_dataset,
    nearby,
)

USER_COUNT = 50
SEED = 42
#: A home or work neighbourhood has at least this many dining places within the default radius.
MIN_PLACES_NEAR = 25
#: Near home or work, a user has at least this many places not of a disliked cuisine ...
MIN_ALLOWED = 10
#: ... and at least this many of a liked cuisine.
MIN_LIKED = 3
#: A cuisine a user may like or dislike has at least this many places in the whole data set.
MIN_CUISINE_PLACES = 20
#: An event category a user may be interested in has at least this many events.
MIN_CATEGORY_EVENTS = 10

DIETS = ("none", "vegetarian", "vegan", "halal", "kosher", "gluten-free")
_DIET_WEIGHTS = (60, 12, 6, 8, 6, 8)
_PRICE_WEIGHTS = (25, 40, 25, 10)
SEGMENTS = ("value", "standard", "premium")
# Customers who pick cheaper places mostly sit in cheaper segments, with some spread.
_SEGMENT_WEIGHTS = {1: (70, 30, 0), 2: (30, 60, 10), 3: (5, 60, 35), 4: (0, 30, 70)}
# Cuisines a vegetarian or vegan would not name as a favourite.
_MEAT_CUISINES = frozenset({"Chicken", "Hamburgers", "Steakhouse"})
_MAX_DRAWS = 1000


def common_cuisines(dataset: Dataset) -> list[str]:
    """Cuisines with at least :data:`MIN_CUISINE_PLACES` places, most common first."""
    counts = Counter(r.cuisine for r in dataset.restaurants)
    return sorted(
        (c for c, n in counts.items() if n >= MIN_CUISINE_PLACES and c != "Other"),
        key=lambda c: (-counts[c], c),
    )


def event_interests(dataset: Dataset) -> list[str]:
    """Event categories with at least :data:`MIN_CATEGORY_EVENTS` events, alphabetically.

    ``General`` is left out: the feed uses it for events that have no category.
    """
    counts = Counter(c for event in dataset.events for c in event.categories)
    return sorted(c for c, n in counts.items() if n >= MIN_CATEGORY_EVENTS and c != "General")


def lively_neighbourhoods(dataset: Dataset) -> list[Neighbourhood]:
    """Residential neighbourhoods with at least :data:`MIN_PLACES_NEAR` places near their centre."""
    return [
        hood
        for _, hood in sorted(dataset.neighbourhoods.items())
        if hood.residential
        and len(nearby(dataset.restaurants, hood.lat, hood.lon, DEFAULT_RADIUS_KM))
        >= MIN_PLACES_NEAR
    ]


def dining_options(
    dataset: Dataset,
    user: DemoUser,
    radius_km: float = DEFAULT_RADIUS_KM,
    per_location: int | None = DEFAULT_NEARBY_LIMIT,
) -> list[Restaurant]:
    """The dining places near the user's home or work, each once.

    Args:
        dataset: the demo data set.
        user: whose home and work to search around.
        radius_km: the search radius around each location.
        per_location: keep only the nearest this many per location, as the stand-in location
            service does by default; None keeps all.
    """
    found: dict[str, Restaurant] = {}
    for code in (user.home, user.work):
        hood = dataset.neighbourhoods[code]
        for place, _ in nearby(dataset.restaurants, hood.lat, hood.lon, radius_km, per_location):
            found.setdefault(place.restaurant_id, place)
    return list(found.values())


def make_users(dataset: Dataset, count: int = USER_COUNT, seed: int = SEED) -> list[DemoUser]:
    """Draw ``count`` users deterministically from ``dataset``.

    Raises:
        RuntimeError: when the data set cannot give a user enough places to recommend.
    """
    rng = random.Random(seed)
    hoods = lively_neighbourhoods(dataset)
    cuisines = common_cuisines(dataset)
    interests = event_interests(dataset)
    return [_make_user(rng, n, dataset, hoods, cuisines, interests) for n in range(1, count + 1)]


@functools.cache
def load_users() -> dict[str, DemoUser]:
    """The demo users of :func:`~portal_engine.demo.dataset.load_dataset`, by user id."""
    return {user.user_id: user for user in make_users(load_dataset())}


def _make_user(
    rng: random.Random,
    number: int,
    dataset: Dataset,
    hoods: Sequence[Neighbourhood],
    cuisines: Sequence[str],
    interests: Sequence[str],
) -> DemoUser:
    home, work = rng.sample(hoods, 2)
    diet = rng.choices(DIETS, _DIET_WEIGHTS)[0]
    price_level = rng.choices((1, 2, 3, 4), _PRICE_WEIGHTS)[0]
    user = DemoUser(
        user_id=f"user-{number}",
        display_name=f"Demo User {number}",
        home=home.nta_code,
        work=work.nta_code,
        cuisine_likes=(),
        cuisine_dislikes=(),
        diet=diet,
        price_level=price_level,
        interests=tuple(rng.sample(interests, rng.randint(2, 4))),
        segment=rng.choices(SEGMENTS, _SEGMENT_WEIGHTS[price_level])[0],
        member_since=date(2016, 1, 1) + timedelta(days=rng.randrange(10 * 365)),
    )
    near = Counter(place.cuisine for place in dining_options(dataset, user))
    likeable = [
        c
        for c in cuisines
        if near[c] and not (diet in ("vegetarian", "vegan") and c in _MEAT_CUISINES)
    ]
    # Redraw until the promise in the module docstring holds; the bound only guards against a
    # data set that cannot keep it, which the tests would catch first.
    for _ in range(_MAX_DRAWS):
        likes = rng.sample(likeable, min(len(likeable), rng.randint(2, 4)))
        others = [c for c in cuisines if c not in likes]
        dislikes = rng.sample(others, rng.randint(1, 2))
        liked = sum(near[c] for c in likes)
        allowed = sum(n for c, n in near.items() if c not in dislikes)
        if liked >= MIN_LIKED and allowed >= MIN_ALLOWED:
            return attrs.evolve(user, cuisine_likes=tuple(likes), cuisine_dislikes=tuple(dislikes))
    raise RuntimeError(f"cannot draw tastes for {user.user_id} near {home.name} / {work.name}")
