"""What a plugin contributes: a :class:`RecommendationType` and the parts it is made of.

A type is data plus three small objects, all supplied by its plugin:

* **fetchers** (:class:`Fetcher`) call external services with a host-owned ``httpx.AsyncClient``;
  the host runs them concurrently and owns timeouts and retries;
* a **prompt builder** (:class:`PromptBuilder`) picks the candidates and writes the LLM prompt,
  fencing everything that came from users and upstreams as data
  (see :mod:`portal_engine.prompting`);
* a **fallback ranker** (:class:`FallbackRanker`) ranks the candidates without the LLM, for when
  the LLM answer is unusable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

import attrs
import httpx

from portal_engine.models import Candidate, Item

TYPE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Names the API uses for its own paths under ``/recommendations/``.
RESERVED_NAMES = frozenset({"types", "status", "refresh"})


@attrs.frozen
class ServiceURLs:
    """Base URLs of the external services a fetcher may call."""

    user_profile: str
    lie: str
    cis: str


@attrs.frozen
class FetchRequest:
    """What a fetcher gets besides the HTTP client: whose context to fetch, and from where."""

    user_id: str
    type: str
    services: ServiceURLs


@attrs.frozen
class Context:
    """The fetched context of one (type, user): each fetcher's answer under its name.

    ``missing`` names the optional fetchers that failed; their key is absent from ``data``.
    """

    user_id: str
    type: str
    data: dict[str, Any]
    missing: list[str] = attrs.field(factory=list)


@attrs.frozen
class ChatMessage:
    """One message of an OpenAI-compatible chat completion."""

    role: Literal["system", "user", "assistant"]
    content: str


@attrs.frozen
class Prompt:
    """A built prompt and the candidates it offers; the answer may only name these."""

    messages: list[ChatMessage]
    candidates: list[Candidate]


class Dated(Protocol):
    """Anything that says when it expires and which version made it (a set, a cached set)."""

    @property
    def expires_at(self) -> datetime:
        """When it stops being fresh."""
        ...

    @property
    def version(self) -> str:
        """The fingerprint of the type that made it."""
        ...


@runtime_checkable
class Fetcher(Protocol):
    """Fetches one part of a user's context from an external service.

    ``name`` is the key of its answer in :attr:`Context.data`. An ``optional`` fetcher that fails
    leaves the context partial instead of failing the refresh.
    """

    @property
    def name(self) -> str:
        """The key of this fetcher's answer in :attr:`Context.data`."""
        ...

    @property
    def optional(self) -> bool:
        """True when the refresh may go on without this fetcher's answer."""
        ...

    async def fetch(self, client: httpx.AsyncClient, request: FetchRequest) -> Any:
        """Return JSON-like data; raise ``httpx.HTTPError`` (the host retries) on failure."""
        ...


@runtime_checkable
class PromptBuilder(Protocol):
    """Turns a context into the candidates and the chat messages for the LLM."""

    async def build(self, context: Context, limit: int) -> Prompt:
        """Return the prompt; ``limit`` is how many items the set should hold."""
        ...


@runtime_checkable
class FallbackRanker(Protocol):
    """Ranks candidates without an LLM; used when the LLM answer is unusable."""

    def rank(self, context: Context, candidates: Sequence[Candidate], limit: int) -> list[Item]:
        """Return at most ``limit`` items, best first, each with a reason a user can read."""
        ...


def _check_name(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not TYPE_NAME.match(value):
        raise ValueError(
            f"type name {value!r} must be 1-40 lowercase letters, digits or '_', "
            "starting with a letter"
        )
    if value in RESERVED_NAMES:
        raise ValueError(f"type name {value!r} is reserved by the API; choose another")


@attrs.frozen
class RecommendationType:
    """A recommendation type, as a plugin registers it in ``register_types``.

    Args:
        name: the URL name (``/recommendations/{name}``), lowercase ``[a-z][a-z0-9_]*``.
        description: one sentence for the types listing.
        fetchers: fetch the context, concurrently.
        prompt_builder: picks candidates and writes the prompt.
        fallback_ranker: ranks without the LLM.
        queue: the Celery queue of its tasks; ``portal.<name>`` by default.
        ttl: seconds a set stays fresh.
        limit: how many items a set holds.
        refresh_interval: seconds after a user's last read during which ``beat`` keeps their
            set fresh, refreshing it before it expires.
        version: bump it when the prompt or ranking changes, so cached sets count as stale.
        details_schema: optional attrs class that every candidate's ``details`` must fit.
    """

    name: str = attrs.field(validator=_check_name)
    description: str
    fetchers: Sequence[Fetcher]
    prompt_builder: PromptBuilder
    fallback_ranker: FallbackRanker
    queue: str = attrs.field()
    ttl: int = 3600
    limit: int = 10
    refresh_interval: int = 3000
    version: str = "1"
    details_schema: type | None = None
    #: Filled in by the plugin manager: the distribution that registered the type.
    plugin: str = ""
    plugin_version: str = ""

    @queue.default
    def _default_queue(self) -> str:
        return f"portal.{self.name}"

    @property
    def fingerprint(self) -> str:
        """What made a set: plugin release, type version and the core's prompt rules.

        A cached set whose fingerprint differs was made by an older prompt or ranking and
        counts as stale.
        """
        from portal_engine.prompting import TEMPLATE_VERSION

        return f"{self.plugin_version}/{self.version}/{TEMPLATE_VERSION}"

    def is_fresh(self, recommendation_set: Dated, now: datetime) -> bool:
        """True when the set has not expired and was made by this type as it is now."""
        return (
            recommendation_set.expires_at > now and recommendation_set.version == self.fingerprint
        )

    def describe(self) -> Mapping[str, object]:
        """The public description served by ``GET /recommendations/types``."""
        return {
            "name": self.name,
            "description": self.description,
            "queue": self.queue,
            "ttl": self.ttl,
            "plugin": self.plugin,
            "version": self.plugin_version,
        }
