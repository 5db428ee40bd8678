"""URL converters for the API's path parameters; ``create_app`` registers them."""

from __future__ import annotations

from werkzeug.routing import BaseConverter, PathConverter

from portal_engine.api.schemas import USER_ID_SCHEMA


class TypeNameConverter(BaseConverter):
    """A type name in a path: any segment but ``types``, which is the list of types.

    Without it ``/recommendations/types`` was also the type called "types": DELETE on it was
    routed to deleting that unknown type (400/404) instead of 405, and OPTIONS listed DELETE.
    """

    regex = r"(?!types\Z)[^/]+"


class UserIdConverter(PathConverter):
    """A user id in a path: it may hold '/', which arrives here decoded from %2F."""

    openapi_schema = USER_ID_SCHEMA


#: Registered under these names in ``app.url_map.converters`` before any blueprint.
CONVERTERS: dict[str, type[BaseConverter]] = {
    "type_name": TypeNameConverter,
    "user_id": UserIdConverter,
}
