"""Minimal plugin parts for tests that need a type but not its behaviour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from portal_engine import (
    Candidate,
    Context,
    FetchRequest,
    Item,
    Prompt,
    RecommendationType,
    hookimpl,
)
from portal_engine.prompting import standard_messages


class NoFetch:
    """An optional fetcher whose upstream is never there."""

    name = "nothing"
    optional = True

    async def fetch(self, client: httpx.AsyncClient, request: FetchRequest) -> Any:
        """Fail as an unreachable service does."""
        raise httpx.ConnectError("no upstream in this test")


class Builder:
    """A builder offering one fixed candidate."""

    async def build(self, context: Context, limit: int) -> Prompt:
        """Offer candidate ``c1``."""
        candidates = [Candidate("c1", "One")]
        messages = standard_messages("x", user={}, candidates=candidates, limit=limit)
        return Prompt(messages, candidates)


class Ranker:
    """A ranker keeping the candidates' order."""

    def rank(self, context: Context, candidates: Sequence[Candidate], limit: int) -> list[Item]:
        """Score every candidate 0.5."""
        return [Item(c.id, c.title, 0.5, "because") for c in candidates][:limit]


def fake_type(name: str, *, ttl: int = 600, builder: Builder | None = None) -> RecommendationType:
    """A type offering candidate ``c1``, with no upstream, described as "<name> things"."""
    return RecommendationType(
        name=name,
        description=f"{name} things",
        fetchers=[NoFetch()],
        prompt_builder=builder or Builder(),
        fallback_ranker=Ranker(),
        ttl=ttl,
    )


class FakeTypes:
    """A plugin registering :func:`fake_type` types of the given names."""

    def __init__(self, *names: str) -> None:
        self.names = names or ("alpha",)

    @hookimpl
    def register_types(self, registry: Any) -> None:
        """Register one fake type per name."""
        for name in self.names:
            registry.add(fake_type(name))


class FakeCelery:
    """Records what would be published; can play a broker that is down."""

    def __init__(self, down: bool = False) -> None:
        self.sent: list[dict[str, Any]] = []
        self.down = down

    def send_task(self, name: str, **options: Any) -> None:
        if self.down:
            raise ConnectionError("broker down")
        self.sent.append({"name": name, **options})
