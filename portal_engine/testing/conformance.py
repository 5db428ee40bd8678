"""``assert_type_conforms``: does a recommendation type keep the plugin contract?"""

from __future__ import annotations

import inspect
from typing import Any

import attrs

from portal_engine.models import Candidate, converter
from portal_engine.plugin_api import Context, RecommendationType
from portal_engine.prompting import read_fences
from portal_engine.registry import Plugins, load_plugins


class ConformanceError(AssertionError):
    """A type breaks the plugin contract; the message lists every problem."""


async def assert_type_conforms(
    name: str, *, plugins: Plugins | None = None, context: Context | None = None
) -> RecommendationType:
    """Check that type ``name`` keeps the plugin contract; return the type.

    Without ``context`` the declaration is checked: a registered, valid name, a description,
    a positive TTL and limit, uniquely named fetchers with async ``fetch``, an async
    ``build`` and a ``rank``. With a ``context`` (what the fetchers would return), the parts run
    too: the prompt fences its candidates, every candidate fits ``details_schema``, and the
    fallback ranker returns at most ``limit`` items, all candidates, scored 0-1, with reasons.

    Raises:
        ConformanceError: listing every broken rule.
    """
    plugins = plugins or load_plugins()
    rtype = plugins.get(name)
    if rtype is None:
        raise ConformanceError(
            f"type {name!r} is not registered; registered: {sorted(plugins.types)}; "
            f"plugin errors: {[r.error for r in plugins.errors]}"
        )
    problems = _declaration_problems(rtype)
    if context is not None and not problems:
        problems += await _behaviour_problems(rtype, context)
    if problems:
        raise ConformanceError(f"type {name!r}:\n- " + "\n- ".join(problems))
    return rtype


def _declaration_problems(rtype: RecommendationType) -> list[str]:
    problems = []
    if not rtype.description.strip():
        problems.append("description is empty")
    if rtype.ttl <= 0 or rtype.limit <= 0:
        problems.append("ttl and limit must be positive")
    if not rtype.fetchers:
        problems.append("no fetchers: a type must fetch its candidates")
    names = [f.name for f in rtype.fetchers]
    if len(set(names)) != len(names):
        problems.append(f"fetcher names repeat: {names}")
    for fetcher in rtype.fetchers:
        if not inspect.iscoroutinefunction(getattr(fetcher, "fetch", None)):
            problems.append(f"fetcher {fetcher.name!r}: fetch must be an async method")
    if not inspect.iscoroutinefunction(getattr(rtype.prompt_builder, "build", None)):
        problems.append("prompt_builder.build must be an async method")
    if not callable(getattr(rtype.fallback_ranker, "rank", None)):
        problems.append("fallback_ranker.rank must be callable")
    if rtype.details_schema is not None and not attrs.has(rtype.details_schema):
        problems.append("details_schema must be an attrs class")
    return problems


async def _behaviour_problems(rtype: RecommendationType, context: Context) -> list[str]:
    problems = []
    prompt = await rtype.prompt_builder.build(context, rtype.limit)
    if not prompt.candidates:
        problems.append("the prompt builder offered no candidates for the sample context")
    text = "\n".join(m.content for m in prompt.messages)
    fenced = read_fences(text).get("candidates")
    offered = {c.id for c in prompt.candidates}
    if not isinstance(fenced, list) or {c.get("id") for c in fenced} != offered:
        problems.append("the prompt must fence exactly its candidates in a 'candidates' block")
    if rtype.details_schema is not None:
        for candidate in prompt.candidates:
            try:
                converter.structure(candidate.details, rtype.details_schema)
            except Exception as exc:
                problems.append(f"candidate {candidate.id!r} details do not fit the schema: {exc}")
                break
    problems += _ranking_problems(rtype, context, prompt.candidates)
    return problems


def _ranking_problems(
    rtype: RecommendationType, context: Context, candidates: list[Candidate]
) -> list[str]:
    problems: list[str] = []
    items: list[Any] = rtype.fallback_ranker.rank(context, candidates, rtype.limit)
    if not items and candidates:
        problems.append("the fallback ranker returned nothing although there are candidates")
    if len(items) > rtype.limit:
        problems.append(f"the fallback ranker returned {len(items)} items, over the limit")
    offered = {c.id for c in candidates}
    for item in items:
        if item.id not in offered:
            problems.append(f"the fallback ranker returned {item.id!r}, not a candidate")
        if not 0.0 <= item.score <= 1.0:
            problems.append(f"item {item.id!r} has score {item.score}, outside 0-1")
        if not item.reason.strip():
            problems.append(f"item {item.id!r} has no reason")
    if len({item.id for item in items}) != len(items):
        problems.append("the fallback ranker repeated an item")
    return problems
