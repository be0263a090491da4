"""The template guide: docs/templates.md, the reference retailers write templates with, shown
in the dashboard as HTML. One source for the repository and the page, so they never differ.

The Markdown is rendered with raw HTML off (markdown-it escapes any tag in the file, and
refuses javascript: links), then marked safe for the page: the file is ours, but a slip in it
still cannot inject markup.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from markdown_it import MarkdownIt

from tenants.permissions import Perm
from tenants.views.base import dashboard_view

GUIDE = Path(settings.BASE_DIR) / "docs" / "templates.md"


@dataclass(frozen=True)
class Guide:
    title: str
    sections: list[tuple[str, str]]  # (anchor, heading) of each second-level heading
    html: SafeString  # the body below the title


def _render(text: str) -> Guide:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(text)
    title, sections, headers = "Template guide", [], []
    for index, token in enumerate(tokens):
        # Tables are the dashboard's list tables: one card per row on a phone, each cell
        # labelled with its column's header (`.table-cards` in doorstep.css).
        if token.type == "table_open":
            token.attrSet("class", "table table-cards")
            headers = []
        elif token.type == "th_open":
            headers.append(tokens[index + 1].content)
        elif token.type == "tr_open":
            column = 0
        elif token.type == "td_open":
            if column == 0:
                token.attrSet("class", "cell-main")
            elif column < len(headers):
                token.attrSet("data-label", headers[column])
            column += 1
        elif token.type == "heading_open":
            words = tokens[index + 1].content
            token.attrSet("id", slugify(words))
            if token.tag == "h1":
                title = words
            elif token.tag == "h2":
                sections.append((slugify(words), words))
        for child in token.children or ():
            # Links to other sites open beside the dashboard, not in place of it.
            if child.type == "link_open" and str(child.attrGet("href")).startswith("http"):
                child.attrSet("target", "_blank")
                child.attrSet("rel", "noopener noreferrer")
    # The page heading is the title: the body starts below the first h1.
    if tokens and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        tokens = tokens[3:]
    return Guide(title, sections, mark_safe(md.renderer.render(tokens, md.options, {})))  # noqa: S308


@functools.lru_cache(maxsize=1)
def _guide(path: Path, mtime_ns: int, size: int) -> Guide:
    return _render(path.read_text(encoding="utf-8"))


def guide_get() -> Guide:
    """The rendered guide, rendered again only when the file changed."""
    stat = GUIDE.stat()
    return _guide(GUIDE, stat.st_mtime_ns, stat.st_size)


@dashboard_view(Perm.JOURNEYS_VIEW)
def template_guide(request: HttpRequest) -> HttpResponse:
    return render(request, "messaging/dashboard/guide.html", {
        "guide": guide_get(), "nav_active": "journeys", "tab": "guide",
    })
