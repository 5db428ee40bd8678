"""Ranking candidates without the LLM: the steps every fallback ranker and prompt builder share.

A type scores its candidates its own way; what is the same for every type is what happens
around the score. :func:`rank_by` turns scored candidates into a fallback ranker's items, and
:func:`top` picks the candidates a prompt offers. Both put the highest score first and break
ties by id, so the same context always gives the same set. :func:`closeness` is the distance
part of a score for things found near the user, and :func:`name_key` and :func:`name_keys`
match what a user likes (cuisines, interests ...) with what a candidate is.

A fallback ranker is then a few lines::

    def rank(self, context, candidates, limit):
        taste = Taste.from_context(context)
        return rank_by(
            candidates,
            score=lambda c: score(c.details, taste),
            reason=lambda c: reason(c.details, taste),
            limit=limit,
        )
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from portal_engine.models import Candidate, Item

#: Scores a candidate for a user: higher is better, from 0 to 1 for a fallback ranker's items.
Score = Callable[[Candidate], float]


def rank_by(
    candidates: Iterable[Candidate],
    *,
    score: Score,
    reason: Callable[[Candidate], str],
    limit: int,
) -> list[Item]:
    """Rank candidates by ``score`` and make the best ``limit`` of them into items.

    Args:
        candidates: what to rank; leave out beforehand any that must never be served.
        score: the candidate's score, served as the item's.
        reason: one sentence for the user saying why the candidate is recommended; asked only of
            the candidates that become items.
        limit: how many items to return at most.

    Returns:
        At most ``limit`` items, highest score first and equal scores by id, each with the
        candidate's id, title and details.
    """
    scored = sorted(((score(c), c) for c in candidates), key=lambda pair: (-pair[0], pair[1].id))
    return [
        Item(
            id=candidate.id,
            title=candidate.title,
            score=value,
            reason=reason(candidate),
            details=dict(candidate.details),
        )
        for value, candidate in scored[: max(limit, 0)]
    ]


def top(candidates: Iterable[Candidate], count: int, *, score: Score) -> list[Candidate]:
    """The ``count`` best candidates: highest ``score`` first, equal scores by id.

    What a prompt builder offers the LLM when it has more candidates than a prompt should hold.
    """
    return sorted(candidates, key=lambda c: (-score(c), c.id))[: max(count, 0)]


def closeness(distance_km: object, radius_km: float) -> float:
    """How close a thing is, from 1 (no distance at all) down to 0 (at the radius or beyond).

    Args:
        distance_km: the thing's distance; anything but a number counts as ``radius_km``.
        radius_km: the search radius, a positive number.
    """
    distance = float(distance_km) if isinstance(distance_km, int | float) else radius_km
    return 1.0 - min(max(distance, 0.0), radius_km) / radius_km


def name_key(name: object) -> str:
    """Normalise a name (a cuisine, an interest, a category) for comparison.

    ``" japanese "`` and ``"Japanese"`` have the same key; a missing name has the key ``""``.
    """
    return str(name or "").strip().casefold()


def name_keys(names: Iterable[object] | str | None) -> frozenset[str]:
    """The keys (see :func:`name_key`) of a list of names, as a profile sends it.

    A bare string counts as a list of one name; blank names and a missing list give no keys.
    """
    if isinstance(names, str):  # one name sent bare instead of as a list
        names = [names]
    return frozenset(key for key in map(name_key, names or ()) if key)
