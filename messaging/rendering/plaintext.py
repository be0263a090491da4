"""The plain-text part of an e-mail, generated from its compiled HTML.

The conversion runs once per version on the compiled HTML (which still holds Jinja2), giving a
plain-text *template* that is cached and rendered per message like the HTML: converting every
rendered message instead would cost more than the render itself.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset({"p", "div", "table", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
                     "li", "section", "article", "header", "footer", "blockquote"})
_SKIPPED = frozenset({"head", "style", "script", "title"})
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "source", "wbr"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_depth = 0  # inside head/style or an element hidden with display:none
        self.stack: list[tuple[str, bool]] = []
        self.link: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in _VOID:
            if tag in ("br", "hr") and not self.skip_depth:
                self.out.append("\n")
            return
        hidden = tag in _SKIPPED or "display:none" in (attributes.get("style") or "").replace(" ", "")
        self.stack.append((tag, hidden))
        if hidden:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag in _BLOCKS:
            self.out.append("\n")
        if tag == "li":
            self.out.append("- ")
        if tag == "a" and (attributes.get("href") or "").strip():
            self.link, self.link_text = attributes["href"].strip(), []

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            name, hidden = self.stack.pop()
            if hidden:
                self.skip_depth -= 1
            if name == tag:
                break
        if self.skip_depth:
            return
        if tag == "a" and self.link is not None:
            label = " ".join("".join(self.link_text).split())
            self.out.append(label if label == self.link else f"{label} ({self.link})" if label
                            else self.link)
            self.out.append(" ")
            self.link = None
        elif tag in _BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.link is not None:
            self.link_text.append(data)
        else:
            self.out.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return tidy_text("".join(parser.out))


# Runs of horizontal whitespace, and single tabs, no-break spaces, carriage returns: matches
# only what needs changing (each match costs a Python call).
_SPACES = re.compile(r"[ \t\u00a0\r]{2,}|[\t\u00a0\r]")
_BLANK_RUNS = re.compile(r"\n{3,}")


def tidy_text(text: str) -> str:
    """One space between words, no spaces at line ends, at most one blank line in a row.
    Runs for every e-mail sent, so it works on lines rather than with regular expressions
    (a pattern that can start at any space or newline is tried at every position: three of
    them cost more than rendering the text part)."""
    if "\t" in text or "\u00a0" in text or "\r" in text:
        text = _SPACES.sub(" ", text)
    else:
        # Only spaces to fold (the usual text part, whose tags leave double spaces): halving
        # every run per pass in C, 2.7 µs where the pattern, tried at every position, took 10.
        while "  " in text:
            text = text.replace("  ", " ")
    if "\n" not in text:
        return text.strip()
    if " \n" not in text and "\n " not in text:
        # No line starts or ends with a space (the usual rendered text part): only the runs
        # of blank lines a template's tags leave are left to fold, in one C pass.
        return _BLANK_RUNS.sub("\n\n", text).strip()
    # Only single spaces are left: strip(" ") per line is the "no spaces at line ends" rule.
    kept: list[str] = []
    blank = False
    for line in text.split("\n"):
        line = line.strip(" ")
        if line:
            kept.append(line)
            blank = False
        elif not blank:
            kept.append(line)
            blank = True
    return "\n".join(kept).strip()
