"""MJML → HTML → CSS-inlined HTML, once per template version (at save time), still holding the
Jinja2 that runs at send time.

    body (tenant MJML + Jinja2) ─▶ mjml_check (tags, with line numbers)
        ─▶ layout.mjml around it (brand header, footer, words in the version's locale)
        ─▶ mjml2html (counted in MJML_COMPILES) ─▶ protect Jinja2 ─▶ css_inline ─▶ restore
        ─▶ TemplateVersion.compiled_html

Why protect: css-inline parses the HTML like a browser, which moves text inside a <table> but
outside a cell ("foster parenting") before the table and escapes `>` in text. A `{% for %}`
around table rows would silently end up empty. Jinja2 statements become HTML comments (kept in
place even inside tables) and expressions become plain tokens while css-inline runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import css_inline
from mjml import mjml2html

from .locales import LAYOUT_WORDS, shopper_locale

LAYOUT_PATH = Path(__file__).with_name("layout.mjml")
BODY_MARKER = "<!-- doorstep:body -->"

MJML_BODY_ELEMENTS = frozenset({
    "mj-section", "mj-column", "mj-group", "mj-text", "mj-button", "mj-image", "mj-divider",
    "mj-spacer", "mj-table", "mj-raw", "mj-social", "mj-social-element", "mj-navbar",
    "mj-navbar-link", "mj-hero", "mj-wrapper", "mj-accordion", "mj-accordion-element",
    "mj-accordion-title", "mj-accordion-text", "mj-carousel", "mj-carousel-image",
})
# Elements whose content is HTML, not MJML: tags inside them are not checked.
_RAW_CONTENT = frozenset({"mj-text", "mj-raw", "mj-button", "mj-table", "mj-navbar-link",
                          "mj-social-element", "mj-accordion-title", "mj-accordion-text"})
_MJ_TAG = re.compile(r"<(/?)(mj-[a-zA-Z-]+)\b[^>]*?(/?)>")
_JINJA_STATEMENT = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)
_JINJA_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
_PLACEHOLDER_COMMENT = re.compile(r"<!--dsj:(\d+)-->")
_PLACEHOLDER_TOKEN = re.compile(r"DSJINJA(\d+)Z")


class CompileCounter:
    """How many times MJML was compiled in this process: a test or benchmark reads `total`
    before and after to prove one compile per template version, however many renders."""

    def __init__(self) -> None:
        self.total = 0

    def reset(self) -> None:
        self.total = 0


MJML_COMPILES = CompileCounter()


@dataclass
class SourceError(Exception):
    """A problem in a template's source, at a line of the field the retailer edited."""

    field: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


def mjml_check(body: str) -> None:
    """Unknown MJML elements and unbalanced tags, with their line (mjml-python skips unknown
    elements and tolerates a misspelt closing tag silently)."""
    stack: list[tuple[str, int]] = []
    for match in _MJ_TAG.finditer(body):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        line = body.count("\n", 0, match.start()) + 1
        if stack and stack[-1][0] in _RAW_CONTENT and not (closing and name == stack[-1][0]):
            continue
        if name not in MJML_BODY_ELEMENTS:
            hint = " (includes are not available)" if name == "mj-include" else ""
            tag = f"</{name}>" if closing else f"<{name}>"
            raise SourceError("body", line, f"{tag} is not an MJML element we support{hint}")
        if closing:
            if not stack or stack[-1][0] != name:
                expected = f"</{stack[-1][0]}> (opened on line {stack[-1][1]})" if stack else "nothing"
                raise SourceError("body", line, f"</{name}> closes nothing open here; expected {expected}")
            stack.pop()
        elif not self_closing:
            stack.append((name, line))
    if stack:
        name, line = stack[-1]
        raise SourceError("body", line, f"<{name}> is never closed")


def layout_source(body: str, locale: str) -> tuple[str, int]:
    """The whole MJML document, and the line of the document where the body starts."""
    layout = LAYOUT_PATH.read_text()
    words = LAYOUT_WORDS[shopper_locale(locale)]
    layout = layout.replace("[[locale]]", shopper_locale(locale))
    for key, value in words.items():
        layout = layout.replace(f"[[{key}]]", value)
    before, after = layout.split(BODY_MARKER)
    return before + body + after, before.count("\n") + 1


def compile_email(body: str, *, locale: str) -> str:
    """The compiled, CSS-inlined HTML of an e-mail body in the brand layout. Raises SourceError."""
    mjml_check(body)
    document, body_start = layout_source(body, locale)
    MJML_COMPILES.total += 1
    try:
        html = mjml2html(document)
    except ValueError as error:
        raise SourceError("body", _error_line(str(error), document, body_start),
                          f"MJML could not be compiled: {error}") from error
    return _inline_css(html)


def _error_line(message: str, document: str, body_start: int) -> int | None:
    position = re.search(r"position (\d+):(\d+)", message)
    if not position:
        return None
    offset = int(position.group(1))
    line = document.count("\n", 0, offset) + 1 - body_start + 1
    return line if line >= 1 else None


def _inline_css(html: str) -> str:
    saved: list[str] = []

    def keep(kind: str):
        def replace(match: re.Match) -> str:
            saved.append(match.group(0))
            index = len(saved) - 1
            return f"<!--dsj:{index}-->" if kind == "statement" else f"DSJINJA{index}Z"
        return replace

    protected = _JINJA_STATEMENT.sub(keep("statement"), html)
    protected = _JINJA_EXPRESSION.sub(keep("expression"), protected)
    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
    inlined = inliner.inline(protected)
    inlined = _PLACEHOLDER_COMMENT.sub(lambda m: saved[int(m.group(1))], inlined)
    return _PLACEHOLDER_TOKEN.sub(lambda m: saved[int(m.group(1))], inlined)
