"""Ranking offers without the LLM, with reasons a user can read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
from portal_engine.models import Candidate, Item, Scalar
from portal_engine.plugin_api import Context
from portal_engine.ranking import rank_by

from portal_engine_offers.scoring import Shopper, score


@attrs.frozen
class OffersFallbackRanker:
    """Ranks offers by discount, price fit and category affinity; deterministic."""

    def rank(self, context: Context, candidates: Sequence[Candidate], limit: int) -> list[Item]:
        """Return at most ``limit`` items, best first.

        Args:
            context: the fetched context; the segment, price level and interests come from it.
            candidates: the offers the prompt builder offered.
            limit: how many items to return at most.

        Returns:
            Items scored from 0 to 1 by :func:`~portal_engine_offers.scoring.score`; equal scores
            are ordered by id so the same context always gives the same set.
        """
        shopper = Shopper.from_context(context)
        return rank_by(
            candidates,
            score=lambda candidate: score(candidate.details, shopper),
            reason=lambda candidate: reason(candidate.details, shopper),
            limit=limit,
        )


def reason(details: Mapping[str, Scalar], shopper: Shopper) -> str:
    """One plain sentence saying why an offer is recommended.

    For example ``"25% off Kitchen & Dining, now £3.71, picked for standard members."``, with
    ``" and your interest in Art"`` before the full stop when the category suits an interest.
    """
    category = str(details.get("category") or "")
    discount = details.get("discount_pct")
    price = details.get("price_after_discount_gbp")
    cost = f"£{price:,.2f}" if isinstance(price, int | float) else ""
    if isinstance(discount, int | float) and discount > 0:
        head = " ".join(part for part in (f"{discount:g}% off", category) if part)
        head += f", now {cost}" if cost else ""
    else:
        head = f"{category or 'This offer'} at {cost}" if cost else category or "This offer"
    segment = str(details.get("segment") or "")
    picked = f"picked for {segment} members" if segment else "picked for you"
    interest = shopper.interest_in(category) if category else None
    if interest:
        picked += f" and your interest in {interest}"
    return f"{head}, {picked}."
