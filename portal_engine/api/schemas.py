"""Request and response bodies of the API, as attrs classes.

quart-schema validates requests against these (through msgspec) and writes them into
``/openapi.json``; responses are the models of :mod:`portal_engine.models` where one fits.
"""

from __future__ import annotations

from typing import Annotated, TypeAlias

import attrs
import msgspec

from portal_engine.models import Notification

#: What a view with ``@validate_response`` returns when it sets the status (and headers): an
#: attrs instance that quart-schema turns into JSON. Quart's ``ResponseReturnValue`` does not
#: include attrs instances (the conversion is quart-schema's), so such views use this instead.
SchemaResponse: TypeAlias = (
    tuple[attrs.AttrsInstance, int] | tuple[attrs.AttrsInstance, int, dict[str, str]]
)

#: A user id: 1-128 characters, no control characters (NUL included).
UserId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=128,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="The user's id: 1-128 characters, no control characters.",
    ),
]
USER_ID_RULE = "user_id must be 1-128 characters without control characters"


@attrs.frozen
class UserQuery:
    """``?user_id=`` on per-user endpoints."""

    user_id: UserId


@attrs.frozen
class NotificationsQuery:
    """``?user_id=&limit=`` on the notifications list."""

    user_id: UserId
    limit: Annotated[int, msgspec.Meta(ge=1, le=100, description="How many, 1-100.")] = 10


@attrs.frozen
class RefreshRequest:
    """Body of ``POST /recommendations/refresh/{user_id}``."""

    force: bool = False
    types: list[str] | None = None


@attrs.frozen
class DismissRequest:
    """Body of ``POST /recommendations/{type}/dismiss``."""

    item_id: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


@attrs.frozen
class DismissResponse:
    """A dismissal: the item stays hidden from this user for this type."""

    type: str
    user_id: str
    item_id: str
    removed_from_cached_set: bool


@attrs.frozen
class TaskRef:
    """A started (or already running) refresh task."""

    type: str
    user_id: str
    task_id: str
    status_url: str


@attrs.frozen
class RefreshResponse:
    """The tasks a refresh started, and the types skipped because their set is fresh."""

    user_id: str
    tasks: list[TaskRef]
    skipped: list[str]


@attrs.frozen
class TypeInfo:
    """One recommendation type as ``GET /recommendations/types`` lists it."""

    name: str
    description: str
    queue: str
    ttl: int
    plugin: str
    version: str


@attrs.frozen
class TypesResponse:
    """Every type the engine serves."""

    types: list[TypeInfo]


@attrs.frozen
class NotificationList:
    """A user's newest notifications and how many are unread."""

    user_id: str
    unread: int
    notifications: list[Notification]


@attrs.frozen
class ErrorBody:
    """Every error answer: what went wrong and what to do about it."""

    error: str
    status: int


@attrs.frozen
class Check:
    """One dependency check."""

    ok: bool
    detail: str = ""


@attrs.frozen
class Health:
    """The state of the engine and each dependency."""

    status: str
    version: str
    checks: dict[str, Check]
