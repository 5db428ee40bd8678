"""Presenting product titles: the catalogue writes them in capitals, users read them title-cased."""

from __future__ import annotations

import re

# Short joining words stay lower case inside a title ("Set of 3 Cake Tins"), as in print.
SMALL_WORDS = frozenset(
    {"a", "an", "and", "at", "for", "in", "of", "on", "or", "the", "to", "with"}
)

_LETTERS = re.compile(r"[^\W\d_]+")


def title_case(title: str) -> str:
    """Title-case a catalogue title, e.g. ``"SET OF 3 CAKE TINS"`` -> ``"Set of 3 Cake Tins"``.

    Only words written wholly in capitals change, so a word the catalogue already cased
    (``"No"``, ``"iPhone"``) is kept. Letters after an apostrophe stay lower case
    (``"CHILDREN'S"`` -> ``"Children's"``), and each part of a joined word is capitalised
    (``"T-LIGHT"`` -> ``"T-Light"``, ``"BLACK/BLUE"`` -> ``"Black/Blue"``).
    """
    words = title.split()
    return " ".join(_word(word, first=n == 0) for n, word in enumerate(words))


def _word(word: str, *, first: bool) -> str:
    if word != word.upper():
        return word
    if not first and word.lower() in SMALL_WORDS:
        return word.lower()
    return _LETTERS.sub(lambda run: _run(word, run), word)


def _run(word: str, run: re.Match[str]) -> str:
    text = run.group()
    if run.start() > 0 and word[run.start() - 1] in "'\u2019":
        return text.lower()
    return text[0] + text[1:].lower()
