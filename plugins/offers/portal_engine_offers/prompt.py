"""The offers prompt: which offers the LLM may pick from, and how it should rank them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeGuard

import attrs
from portal_engine.models import Candidate
from portal_engine.plugin_api import Context, Prompt
from portal_engine.prompting import standard_messages
from portal_engine.ranking import top

from portal_engine_offers.schema import OfferDetails, price_after_discount
from portal_engine_offers.scoring import Shopper, score
from portal_engine_offers.titles import title_case

#: At most this many offers go into a prompt (more when a set holds more items), so the prompt
#: stays small; the best are chosen by :func:`portal_engine_offers.scoring.score`.
MAX_PROMPT_CANDIDATES = 40

INSTRUCTIONS = """\
You recommend product offers to a customer of a UK gift shop. Prices are in pounds sterling.
Rank higher, in this order of weight:
1. deeper discounts (discount_pct);
2. a price_after_discount_gbp that fits the user's price_level, from 1 (budget) to 4 (premium):
   about 1.50 at level 1, 3 at level 2, 6 at level 3 and 12 at level 4;
3. offers whose category is one of the user's liked_categories.
Each reason is one short, plain sentence addressed to the user that names the discount, the
category and the price after discount, for example:
"25% off Kitchen & Dining, now £3.71, a good price for everyday gifts."\
"""


@attrs.frozen
class OffersPromptBuilder:
    """Builds the offers prompt from the ``offers`` and, when present, ``profile`` context."""

    async def build(self, context: Context, limit: int) -> Prompt:
        """Pick the candidates and write the messages; every outside value goes into a fence.

        Args:
            context: the fetched context of the user.
            limit: how many items the set should hold.

        Returns:
            The prompt, offering at most ``max(MAX_PROMPT_CANDIDATES, limit)`` offers of the
            user's segment, best first.
        """
        shopper = Shopper.from_context(context)
        candidates = select_candidates(context, max(MAX_PROMPT_CANDIDATES, limit), shopper)
        messages = standard_messages(
            INSTRUCTIONS,
            user=_user_block(shopper, candidates),
            candidates=candidates,
            limit=limit,
        )
        return Prompt(messages=messages, candidates=candidates)


def select_candidates(context: Context, count: int, shopper: Shopper) -> list[Candidate]:
    """The ``count`` best offers of the context as candidates.

    Best means highest :func:`~portal_engine_offers.scoring.score`, then by id, so the same
    context always gives the same candidates. Offers without an id, a title or a positive price
    are left out, and an id CIS repeats is offered once.
    """
    offers = (context.data.get("offers") or {}).get("offers") or []
    found: dict[str, Candidate] = {}
    for offer in offers:
        candidate = to_candidate(offer, shopper.segment)
        if candidate is not None:
            found.setdefault(candidate.id, candidate)
    return top(found.values(), count, score=lambda c: score(c.details, shopper))


def to_candidate(offer: Mapping[str, Any], segment: str) -> Candidate | None:
    """Turn an offer as CIS sends it into a candidate whose details fit
    :class:`~portal_engine_offers.schema.OfferDetails`, or None when it cannot be offered.

    The id is kept exactly; the catalogue's capitalised title is title-cased for reading.
    """
    offer_id, title, price = offer.get("id"), offer.get("title"), offer.get("price_gbp")
    if offer_id is None or not str(offer_id).strip() or not isinstance(title, str):
        return None
    if not title.strip() or not _positive(price):
        return None
    discount = offer.get("discount_pct")
    # A discount CIS leaves out, or sends as nonsense, is no discount rather than a reason to
    # drop an otherwise good offer.
    percent = min(max(round(discount), 0), 100) if _finite(discount) else 0
    details = OfferDetails(
        category=str(offer.get("category") or "").strip(),
        price_gbp=float(price),
        discount_pct=percent,
        price_after_discount_gbp=price_after_discount(float(price), percent),
        segment=segment,
    )
    return Candidate(id=str(offer_id), title=title_case(title), details=attrs.asdict(details))


def _user_block(shopper: Shopper, candidates: list[Candidate]) -> dict[str, Any]:
    # Named as the candidates name them, so the model can match them word for word.
    liked = {
        str(c.details["category"]) for c in candidates if shopper.interest_in(c.details["category"])
    }
    return {
        "segment": shopper.segment,
        "price_level": shopper.price_level,
        "interests": list(shopper.interests),
        "liked_categories": sorted(liked),
    }


def _finite(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive(value: object) -> TypeGuard[int | float]:
    return _finite(value) and value > 0
