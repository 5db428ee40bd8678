"""The values Portal Engine stores, queues and serves, and the one converter for all of them.

All models are frozen attrs classes. :data:`converter` (built once by :func:`make_converter`)
turns them into JSON-ready dicts and back, for Redis values, task payloads and API bodies alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import attrs
import cattrs
from cattrs.preconf.json import make_converter as make_json_converter

Scalar = str | int | float | bool | None
Source = Literal["llm", "fallback"]
TaskState = Literal["pending", "started", "retry", "success", "failure"]


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


@attrs.frozen
class Candidate:
    """Something a type may recommend, as the fetchers found it.

    ``details`` holds the type's own fields (cuisine, distance, price ...); they travel into the
    prompt and onto the served item. Only candidates can ever be served: the LLM picks among them.
    """

    id: str
    title: str
    details: dict[str, Scalar] = attrs.field(factory=dict)


@attrs.frozen
class Item:
    """One recommendation in a served set."""

    id: str
    title: str
    score: float
    reason: str
    details: dict[str, Scalar] = attrs.field(factory=dict)


@attrs.frozen
class RecommendationSet:
    """What ``GET /recommendations/{type}`` serves: a ranked list for one user and type."""

    type: str
    user_id: str
    items: list[Item]
    generated_at: datetime
    expires_at: datetime
    source: Source
    #: Names of optional fetchers that failed, so a client can tell a partial context.
    missing_context: list[str] = attrs.field(factory=list)
    #: The type's version and prompt fingerprint that made this set (stale when they change).
    version: str = ""
    #: True when served past its freshness (or made by an older version) while a refresh runs.
    stale: bool = False


@attrs.frozen
class TaskStatus:
    """Where one refresh task is; kept in Redis with a TTL instead of a Celery result backend."""

    task_id: str
    state: TaskState
    type: str
    user_id: str
    error: str | None = None
    updated_at: datetime = attrs.field(factory=utcnow)


@attrs.frozen
class Notification:
    """A message for one user, e.g. that a recommendation set is ready."""

    id: str
    user_id: str
    kind: str
    title: str
    body: str
    created_at: datetime
    read: bool = False
    data: dict[str, Scalar] = attrs.field(factory=dict)


def make_converter() -> cattrs.Converter:
    """Build the converter for every model: datetimes as ISO 8601, unknown keys rejected."""
    conv = make_json_converter(forbid_extra_keys=True)
    conv.register_unstructure_hook(datetime, lambda value: value.isoformat())
    conv.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))
    return conv


#: The converter every module uses; never cattrs' global one.
converter = make_converter()
