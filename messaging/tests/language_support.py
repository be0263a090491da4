"""Telling languages apart on a page or in a message: the literal phrases of copy texts.

    english = phrases(copy("en")["preferences"].values()) - phrases(copy("de")[…].values())
    assert [phrase for phrase in english if phrase in page] == []
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# What is not literal text in our copy: Jinja, HTML tags and {placeholders}.
NOT_LITERAL = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]+>|\{[a-z_]+\}")


def phrases(texts: Iterable[str]) -> set[str]:
    """The literal runs of `texts` of two words or more (a single word, "SMS", may well be
    the same in two languages)."""
    found = set()
    for text in texts:
        for part in NOT_LITERAL.split(text):
            part = part.strip(" ,.:!–")
            if len(part.split()) >= 2:
                found.add(part)
    return found
