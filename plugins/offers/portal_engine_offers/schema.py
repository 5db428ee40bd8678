"""What an offer item carries in its ``details``."""

from __future__ import annotations

import attrs


@attrs.frozen
class OfferDetails:
    """The ``details`` of every offers candidate and item.

    Args:
        category: the product's category as CIS names it (``"Kitchen & Dining"``); empty when
            CIS gave none.
        price_gbp: the list price in pounds sterling.
        discount_pct: the segment's discount, a whole percentage from 0 to 100.
        price_after_discount_gbp: what the user pays, rounded to the penny.
        segment: the customer segment the offer is made for (``"standard"``).
    """

    category: str
    price_gbp: float
    discount_pct: int
    price_after_discount_gbp: float
    segment: str


def price_after_discount(price_gbp: float, discount_pct: int) -> float:
    """The price once ``discount_pct`` percent is taken off, rounded to the penny."""
    return round(price_gbp * (100 - discount_pct) / 100, 2)
