"""Stand-ins for the four external services, as one Quart app serving real sample data.

A development tool: ``portal-engine demo`` and the tests run the engine against this app over real
HTTP, so the whole system works on one machine with no external service. In production the
``PORTAL_USER_PROFILE_URL``, ``PORTAL_LIE_URL`` and ``PORTAL_CIS_URL`` settings point at the real
services, and ``PORTAL_PREFETCH_URL`` at a real OpenAI-compatible server (vLLM, Ollama, OpenAI).

Every answer is JSON; every error is ``{"error": "<what to fix>"}`` (the Prefetch stand-in uses
the OpenAI error shape instead, see :mod:`portal_engine.demo.llm_standin`).

========  ==========================================  ==========================================
prefix    endpoint                                    answer
========  ==========================================  ==========================================
          ``GET /health``                             ``{"status": "ok"}``
profile   ``GET /user-profile/v1/users/{user_id}``    the user's tastes, home and work; 404
lie       ``GET /lie/v1/users/{user_id}/locations``   home and work with their centre points
lie       ``GET /lie/v1/places/nearby?lat=&lon=&``    restaurants (``kind=dining``) or upcoming
          ``kind=&radius_km=2&limit=100``             events (``kind=events``), nearest first
cis       ``GET /cis/v1/customers/{user_id}``         segment, price level, member since
cis       ``GET /cis/v1/offers?segment=&limit=50``    discounted products for the segment
prefetch  ``POST /prefetch/v1/chat/completions``      a deterministic ranking of the candidates
========  ==========================================  ==========================================
"""

from __future__ import annotations

import math
import zlib
from datetime import datetime
from typing import Any

from quart import Blueprint, Quart, ResponseReturnValue, request
from werkzeug.exceptions import BadRequest, HTTPException, NotFound

from portal_engine.demo.dataset import (
    DEFAULT_NEARBY_LIMIT,
    DEFAULT_RADIUS_KM,
    Dataset,
    DemoUser,
    Event,
    Product,
    Restaurant,
    load_dataset,
    nearby,
)
from portal_engine.demo.llm_standin import create_prefetch_blueprint
from portal_engine.demo.users import SEGMENTS, load_users

MAX_RADIUS_KM = 50.0
MAX_LIMIT = 500
DEFAULT_OFFERS_LIMIT = 50
NEARBY_KINDS = ("dining", "events")

# Each segment sees products in its own price band (GBP); the bands overlap a little, as real
# assortments do, and the cheaper segments get the deeper discounts.
_PRICE_BANDS = {"value": (0.0, 2.0), "standard": (1.0, 6.0), "premium": (4.0, math.inf)}
_DISCOUNTS = {"value": (10, 15, 20, 25, 30), "standard": (5, 10, 15, 20), "premium": (5, 10, 15)}


def create_standins_app(
    dataset: Dataset | None = None, users: dict[str, DemoUser] | None = None
) -> Quart:
    """Build the stand-in services app (a development tool).

    Args:
        dataset: the data to serve; the bundled demo data set when None.
        users: the users to serve, by id; the demo users ``user-1`` ... ``user-50`` when None.
    """
    dataset = dataset if dataset is not None else load_dataset()
    users = users if users is not None else load_users()
    app = Quart("portal_engine.demo.standins")
    app.register_blueprint(_user_profile_blueprint(dataset, users))
    app.register_blueprint(_lie_blueprint(dataset, users))
    app.register_blueprint(_cis_blueprint(dataset, users))
    app.register_blueprint(create_prefetch_blueprint())

    @app.get("/health")
    async def health() -> ResponseReturnValue:
        return {"status": "ok"}

    @app.errorhandler(HTTPException)
    async def http_error(exc: HTTPException) -> ResponseReturnValue:
        return {"error": exc.description or exc.name}, exc.code or 500

    return app


def _user_profile_blueprint(dataset: Dataset, users: dict[str, DemoUser]) -> Blueprint:
    blueprint = Blueprint("user_profile", __name__, url_prefix="/user-profile")

    @blueprint.get("/v1/users/<user_id>")
    async def get_user(user_id: str) -> ResponseReturnValue:
        user = _user(users, user_id)
        return {
            "user_id": user.user_id,
            "display_name": user.display_name,
            "home": _neighbourhood(dataset, user.home),
            "work": _neighbourhood(dataset, user.work),
            "cuisine_likes": list(user.cuisine_likes),
            "cuisine_dislikes": list(user.cuisine_dislikes),
            "diet": user.diet,
            "price_level": user.price_level,
            "interests": list(user.interests),
        }

    return blueprint


def _lie_blueprint(dataset: Dataset, users: dict[str, DemoUser]) -> Blueprint:
    blueprint = Blueprint("lie", __name__, url_prefix="/lie")

    @blueprint.get("/v1/users/<user_id>/locations")
    async def get_locations(user_id: str) -> ResponseReturnValue:
        user = _user(users, user_id)
        locations = []
        for label, code in (("home", user.home), ("work", user.work)):
            hood = dataset.neighbourhoods[code]
            locations.append(
                {"label": label, **_neighbourhood(dataset, code), "lat": hood.lat, "lon": hood.lon}
            )
        return {"user_id": user.user_id, "locations": locations}

    @blueprint.get("/v1/places/nearby")
    async def get_nearby() -> ResponseReturnValue:
        lat = _number("lat", -90.0, 90.0, "40.7527")
        lon = _number("lon", -180.0, 180.0, "-73.9772")
        kind = request.args.get("kind")
        if kind not in NEARBY_KINDS:
            raise BadRequest(f"query parameter kind must be one of: {', '.join(NEARBY_KINDS)}")
        radius = _number(
            "radius_km", 0.0, MAX_RADIUS_KM, "2", default=DEFAULT_RADIUS_KM, above=True
        )
        limit = _integer("limit", 1, MAX_LIMIT, DEFAULT_NEARBY_LIMIT)
        if kind == "dining":
            places = [
                _restaurant_json(r, d)
                for r, d in nearby(dataset.restaurants, lat, lon, radius, limit)
            ]
        else:
            # Events shift into the future when the data loads; a long-running demo still
            # should not offer ones that are over.
            now = datetime.now().astimezone()
            upcoming = [e for e in dataset.events if _aware(e.end) > now]
            places = [_event_json(e, d) for e, d in nearby(upcoming, lat, lon, radius, limit)]
        return {"places": places}

    return blueprint


def _cis_blueprint(dataset: Dataset, users: dict[str, DemoUser]) -> Blueprint:
    blueprint = Blueprint("cis", __name__, url_prefix="/cis")

    @blueprint.get("/v1/customers/<user_id>")
    async def get_customer(user_id: str) -> ResponseReturnValue:
        user = _user(users, user_id)
        return {
            "customer_id": user.user_id,
            "segment": user.segment,
            "price_level": user.price_level,
            "member_since": user.member_since.isoformat(),
        }

    @blueprint.get("/v1/offers")
    async def get_offers() -> ResponseReturnValue:
        segment = request.args.get("segment")
        if segment not in SEGMENTS:
            raise BadRequest(f"query parameter segment must be one of: {', '.join(SEGMENTS)}")
        limit = _integer("limit", 1, MAX_LIMIT, DEFAULT_OFFERS_LIMIT)
        return {"offers": [_offer_json(p, segment) for p in offers_for(dataset, segment)[:limit]]}

    return blueprint


def offers_for(dataset: Dataset, segment: str) -> list[Product]:
    """The products a CIS segment is offered, most ordered first (deterministic).

    Args:
        dataset: the demo data set.
        segment: ``value``, ``standard`` or ``premium``; each has its own price band.
    """
    low, high = _PRICE_BANDS[segment]
    chosen = [p for p in dataset.products if low < p.price_gbp <= high]
    return sorted(chosen, key=lambda p: (-p.order_lines, p.product_id))


def discount_pct(product_id: str, segment: str) -> int:
    """The stand-in's discount for a product in a segment: fixed, but varied between products."""
    choices = _DISCOUNTS[segment]
    return choices[zlib.crc32(f"{segment}:{product_id}".encode()) % len(choices)]


def _user(users: dict[str, DemoUser], user_id: str) -> DemoUser:
    user = users.get(user_id)
    if user is None:
        raise NotFound(f"no user {user_id!r}; the demo users are user-1 to user-{len(users)}")
    return user


def _neighbourhood(dataset: Dataset, code: str) -> dict[str, str]:
    hood = dataset.neighbourhoods[code]
    return {"nta_code": hood.nta_code, "neighbourhood": hood.name, "borough": hood.borough}


def _restaurant_json(place: Restaurant, distance: float) -> dict[str, Any]:
    return {
        "id": place.restaurant_id,
        "name": place.name,
        "place_type": place.place_type,
        "cuisine": place.cuisine,
        "borough": place.borough,
        "neighbourhood": place.neighbourhood,
        "address": place.address,
        "lat": place.lat,
        "lon": place.lon,
        "inspection_grade": place.letter_grade,
        "distance_km": round(distance, 2),
    }


def _event_json(event: Event, distance: float) -> dict[str, Any]:
    return {
        "id": event.event_id,
        "name": event.title,
        "primary_category": event.primary_category,
        "categories": list(event.categories),
        "venue": event.venue,
        "borough": event.borough,
        "neighbourhood": event.neighbourhood,
        "lat": event.lat,
        "lon": event.lon,
        "start": event.start.isoformat(),
        "end": event.end.isoformat(),
        "url": event.url,
        "distance_km": round(distance, 2),
    }


def _offer_json(product: Product, segment: str) -> dict[str, Any]:
    return {
        "id": product.product_id,
        "title": product.title,
        "category": product.category,
        "price_gbp": product.price_gbp,
        "discount_pct": discount_pct(product.product_id, segment),
    }


def _aware(moment: datetime) -> datetime:
    # Without a time zone database the events are naive local times; compare them as local.
    return moment if moment.tzinfo is not None else moment.astimezone()


def _number(
    name: str,
    low: float,
    high: float,
    example: str,
    default: float | None = None,
    *,
    above: bool = False,
) -> float:
    """Read a finite number from ``low`` (excluded when ``above``) to ``high``, or answer 400."""
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        if default is not None:
            return default
        raise BadRequest(f"query parameter {name} is required, e.g. {name}={example}")
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    in_range = (low < value if above else low <= value) and value <= high
    if not (math.isfinite(value) and in_range):
        span = f"above {low:g} and at most {high:g}" if above else f"from {low:g} to {high:g}"
        raise BadRequest(f"query parameter {name} must be a number {span}, e.g. {name}={example}")
    return value


def _integer(name: str, low: int, high: int, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise BadRequest(f"query parameter {name} must be a whole number from {low} to {high}")
    return value
