"""Tests for portal_engine_offers.titles."""

from __future__ import annotations

import pytest

from portal_engine_offers.titles import title_case


@pytest.mark.parametrize(
    ("catalogue", "shown"),
    [
        ("EDWARDIAN PARASOL BLACK", "Edwardian Parasol Black"),
        ("SET OF 3 CAKE TINS PANTRY DESIGN", "Set of 3 Cake Tins Pantry Design"),
        ("A LITTLE BIRD AND THE MOON", "A Little Bird and the Moon"),
        ("CHILDREN'S APRON DOLLY GIRL", "Children's Apron Dolly Girl"),
        ("RETRO 50'S MUG", "Retro 50's Mug"),
        ("WHITE HANGING HEART T-LIGHT HOLDER", "White Hanging Heart T-Light Holder"),
        ("PACK/12 A5 BLACK/BLUE 3D CARDS", "Pack/12 A5 Black/Blue 3D Cards"),
        ("NUMBER TILE VINTAGE FONT No", "Number Tile Vintage Font No"),
        ("  DOUBLE   SPACED  ", "Double Spaced"),
    ],
)
def test_catalogue_capitals_read_as_a_title(catalogue: str, shown: str) -> None:
    """Capitalised catalogue titles come out title-cased, keeping words already cased."""
    assert title_case(catalogue) == shown
