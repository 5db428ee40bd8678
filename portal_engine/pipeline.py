"""The refresh pipeline: fetch the context, prompt the LLM, validate, fall back, store, notify.

It runs in a worker, one (type, user) at a time, on the worker's long-lived event loop with its
one httpx client and one Redis client (see :mod:`portal_engine.worker.runtime`). The same code
runs in production and in the embedded demo.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import attrs
import httpx
import structlog

from portal_engine import llm
from portal_engine.answers import parse_answer
from portal_engine.errors import InvalidAnswer, PipelineError, UpstreamError, UpstreamNotFound
from portal_engine.hooks import call_each
from portal_engine.models import Candidate, Item, RecommendationSet, Source, utcnow
from portal_engine.plugin_api import (
    ChatMessage,
    Context,
    FetchRequest,
    Prompt,
    RecommendationType,
    ServiceURLs,
)
from portal_engine.registry import Plugins
from portal_engine.settings import Settings
from portal_engine.store import Store
from portal_engine.upstream import Breakers, with_retries

log = structlog.get_logger(__name__)


@attrs.frozen
class Deps:
    """What a refresh needs, owned by the worker process for its whole life."""

    settings: Settings
    plugins: Plugins
    store: Store
    http: httpx.AsyncClient

    #: Circuit breakers per upstream; they live as long as these deps (a worker process).
    breakers: Breakers = attrs.field()

    @breakers.default
    def _breakers(self) -> Breakers:
        return Breakers(self.settings.breaker_failures, self.settings.breaker_reset)

    @property
    def services(self) -> ServiceURLs:
        """The external services' base URLs, as fetchers receive them."""
        s = self.settings
        return ServiceURLs(
            user_profile=s.user_profile_url.rstrip("/"),
            lie=s.lie_url.rstrip("/"),
            cis=s.cis_url.rstrip("/"),
        )


async def fetch_context(deps: Deps, rtype: RecommendationType, user_id: str) -> Context:
    """Run the type's fetchers concurrently, each with bounded retries.

    Raises:
        UpstreamError: a required fetcher failed (``UpstreamNotFound`` when it answered 404).
    """
    request = FetchRequest(user_id=user_id, type=rtype.name, services=deps.services)

    async def run(fetcher: Any) -> Any:
        # A fetcher may name the service it calls (to share its circuit breaker with other
        # types' fetchers of that service) and its own timeout; both are optional.
        service = getattr(fetcher, "service", fetcher.name)
        return await with_retries(
            lambda: fetcher.fetch(deps.http, request),
            service=fetcher.name,
            attempts=deps.settings.upstream_attempts,
            timeout=getattr(fetcher, "timeout", None),
            breaker=deps.breakers(service),
        )

    results = await asyncio.gather(*(run(f) for f in rtype.fetchers), return_exceptions=True)
    data: dict[str, Any] = {}
    missing: list[str] = []
    for fetcher, result in zip(rtype.fetchers, results, strict=True):
        if isinstance(result, BaseException):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if fetcher.optional:
                log.warning("optional fetcher failed", fetcher=fetcher.name, error=str(result))
                missing.append(fetcher.name)
                continue
            if isinstance(result, UpstreamNotFound):
                raise UpstreamNotFound(
                    fetcher.name, f"does not know user {user_id!r} ({result})"
                ) from result
            if isinstance(result, UpstreamError):
                raise result
            raise UpstreamError(
                fetcher.name, f"failed: {type(result).__name__}: {result}"
            ) from result
        data[fetcher.name] = result
    context = Context(user_id=user_id, type=rtype.name, data=data, missing=missing)
    for extra in await call_each(deps.plugins.manager.hook.enrich_context, context=context):
        for key, value in extra.items():
            context.data.setdefault(key, value)
    return context


async def generate(deps: Deps, prompt: Prompt, limit: int) -> list[Item]:
    """Ask the LLM, and once more with the error when its first answer is unusable.

    Raises:
        InvalidAnswer: both answers failed validation.
        UpstreamError: the LLM endpoint failed after its retries.
    """
    messages = list(prompt.messages)
    breaker = deps.breakers(llm.SERVICE)
    answer = await llm.complete(deps.http, deps.settings, messages, breaker)
    try:
        return parse_answer(answer, prompt.candidates, limit)
    except InvalidAnswer as first:
        log.warning("LLM answer invalid, asking once more", error=str(first))
        messages += [
            ChatMessage("assistant", answer[:4000]),
            ChatMessage(
                "user",
                f"That answer cannot be used: {first}. Answer again with JSON only, in the "
                "format given, naming only ids from the candidates data block.",
            ),
        ]
        return parse_answer(
            await llm.complete(deps.http, deps.settings, messages, breaker),
            prompt.candidates,
            limit,
        )


async def _excluded(deps: Deps, context: Context, candidates: list[Candidate]) -> set[str]:
    """The candidate ids the ``exclude_items`` hooks say must not be served."""
    items = [Item(c.id, c.title, 0.0, "", dict(c.details)) for c in candidates]
    hook = deps.plugins.manager.hook
    excluded: set[str] = set()
    for ids in await call_each(hook.exclude_items, context=context, items=items, store=deps.store):
        excluded.update(ids)
    return excluded & {c.id for c in candidates}


async def refresh(deps: Deps, rtype: RecommendationType, user_id: str) -> RecommendationSet:
    """Produce, store and announce a fresh set for (type, user).

    Raises:
        PipelineError: the context could not be fetched, or there is nothing to recommend.
    """
    context = await fetch_context(deps, rtype, user_id)
    prompt = await rtype.prompt_builder.build(context, rtype.limit)
    excluded = await _excluded(deps, context, prompt.candidates)
    if excluded:
        # Ask for as many more as are hidden, so the set stays full once they are dropped
        # (a user who dismissed items still gets `limit` recommendations).
        prompt = await rtype.prompt_builder.build(context, rtype.limit + len(excluded))
        excluded = await _excluded(deps, context, prompt.candidates)
    if not prompt.candidates:
        raise PipelineError(
            f"nothing to recommend: the {rtype.name} fetchers found no candidates for this user"
        )
    candidates = [c for c in prompt.candidates if c.id not in excluded]
    source: Source = "llm"
    try:
        if not candidates:  # the user dismissed everything there is: an empty set, no LLM
            raise InvalidAnswer("every candidate is excluded")
        answered = await generate(deps, prompt, rtype.limit + len(excluded))
        items = [item for item in answered if item.id not in excluded][: rtype.limit]
        if not items:
            raise InvalidAnswer("the answer named only excluded items")
    except (InvalidAnswer, UpstreamError) as exc:
        log.warning("using the fallback ranker", reason=str(exc))
        source = "fallback"
        items = rtype.fallback_ranker.rank(context, candidates, rtype.limit) if candidates else []
    items = [item for item in items if item.id not in excluded]
    hook = deps.plugins.manager.hook

    now = utcnow()
    result = RecommendationSet(
        type=rtype.name,
        user_id=user_id,
        items=items,
        generated_at=now,
        expires_at=now + timedelta(seconds=rtype.ttl),
        source=source,
        missing_context=list(context.missing),
        version=rtype.fingerprint,
    )
    await deps.store.put_set(result, rtype.ttl)
    # a failing reaction is logged inside call_each and never undoes the stored set
    await call_each(hook.on_set_ready, recommendation_set=result, store=deps.store)
    log.info("set stored", source=source, items=len(items))
    return result
