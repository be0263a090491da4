"""Rendering a template version for one message, fast enough for dispatch batches.

    version ─▶ prepared(version) (cached by version id: Jinja2 templates for subject, preheader,
               HTML and text, compiled once; MJML never compiled here unless a version was
               stored without compiled_html)
    context ─▶ subject, preheader ─▶ HTML, text ─▶ with a message: links → signed click URLs
                                                    (Rendered.links is the redirect's allow-list),
                                                    open pixel before </body>
"""

from __future__ import annotations

import html as html_lib
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from django.conf import settings
from django.utils import timezone
from jinja2 import Template as JinjaTemplate

from messaging import links as link_tokens

from .compile import compile_email
from .environment import send_env, send_text_env
from .plaintext import html_to_text, tidy_text
from .sms import Segments, sms_segments

# Compiled HTML went through css-inline's serializer: attributes are lower-case and always
# double-quoted, so a literal prefix finds every link (and scans 20 kB fast).
_HREF = re.compile(r'href="(https?://[^"]+)"')
# A closing parenthesis ends a URL: the generated plain text writes links as "label (url)".
_TEXT_URL = re.compile(r"""https?://[^\s<>"')]+""")
_TRAILING = ".,;:!?)]}"


@dataclass
class Rendered:
    subject: str
    preheader: str
    html: str
    text: str  # the plain-text part of an e-mail, or the SMS body
    links: list[str] = field(default_factory=list)  # original URLs, in click-token index order
    segments: Segments | None = None  # SMS only


# Subject and preheader render as one template (each render has a fixed cost of its own),
# split on a character neither can contain after whitespace is collapsed.
_HEADER_SPLIT = "\x1f"


@dataclass
class Prepared:
    channel: str
    headers: JinjaTemplate | None  # subject, _HEADER_SPLIT, preheader
    html: JinjaTemplate | None
    text: JinjaTemplate


class _PreparedCache:
    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._entries: OrderedDict[int, Prepared] = OrderedDict()
        self._lock = Lock()

    def get(self, version_id: int) -> Prepared | None:
        with self._lock:
            prepared = self._entries.get(version_id)
            if prepared is not None:
                self._entries.move_to_end(version_id)
            return prepared

    def put(self, version_id: int, prepared: Prepared) -> None:
        with self._lock:
            self._entries[version_id] = prepared
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


prepared_cache = _PreparedCache()


def prepared(version) -> Prepared:
    """The compiled Jinja2 templates of a version, from the per-process cache when possible.
    Versions are immutable, so the cache never needs invalidating."""
    if version.pk is not None:
        hit = prepared_cache.get(version.pk)
        if hit is not None:
            return hit
    channel = version.template.channel
    if channel == "sms":
        result = Prepared(channel, None, None, send_text_env.from_string(version.body))
    else:
        compiled = version.compiled_html or _compile_late(version)
        text_source = version.text_body or html_to_text(compiled)
        headers = send_text_env.from_string(
            f"{version.subject}{{{{ '{_HEADER_SPLIT}' }}}}{version.preheader}")
        result = Prepared(channel, headers, send_env.from_string(compiled),
                          send_text_env.from_string(text_source))
    if version.pk is not None:
        prepared_cache.put(version.pk, result)
    return result


def _compile_late(version) -> str:
    """A version stored without going through template_version_save: compile it now, once."""
    compiled = compile_email(version.body, locale=version.locale)
    if version.pk is not None:
        type(version).objects.unscoped(reason="the version names its tenant").filter(
            pk=version.pk, tenant_id=version.tenant_id, compiled_html="",
        ).update(compiled_html=compiled, compiled_at=timezone.now())
    version.compiled_html = compiled
    return compiled


def render_message(version, context: dict[str, Any], *, message=None) -> Rendered:
    """Render `version` with `context` (from context_for / contexts_for_many). With `message`
    (saved), every http(s) link becomes a signed click URL (the originals are returned in
    `links`, in token index order, and also set on `message.links`) and e-mails get the open
    pixel. Links to the shopper's own preferences page are left alone."""
    parts = prepared(version)
    found = _Links()
    if parts.channel == "sms":
        text = parts.text.render(context).strip()
        text = _rewrite_text(text, found, message)
        if message is not None:
            message.links = list(found)
        return Rendered("", "", "", text, list(found), sms_segments(text))
    subject, _, preheader = parts.headers.render(context).partition(_HEADER_SPLIT)
    subject, preheader = " ".join(subject.split()), " ".join(preheader.split())
    scope = {**context, "subject": subject, "preheader": preheader}
    body = parts.html.render(scope)
    text = tidy_text(parts.text.render(scope))
    body = _rewrite_html(body, found, message)
    text = _rewrite_text(text, found, message)
    if message is not None:
        message.links = list(found)
        body = _add_pixel(body, link_tokens.open_pixel_url(message))
    return Rendered(subject, preheader, body, text, list(found))


def _own_page(url: str) -> bool:
    return url.startswith(f"{settings.PUBLIC_BASE_URL}/u/") or url.startswith(
        f"{settings.PUBLIC_BASE_URL}/m/")


class _Links(list):
    """The original URLs of one render in index order, with each one's click URL made once
    (the HTML and the text part share them; signing is the costly step)."""

    def __init__(self) -> None:
        super().__init__()
        self.tracked: dict[str, str] = {}


def _tracked(url: str, found: _Links, message) -> str:
    if message is None or _own_page(url):
        if not _own_page(url) and url not in found:
            found.append(url)
        return url
    tracked = found.tracked.get(url)
    if tracked is None:
        found.append(url)
        tracked = found.tracked[url] = link_tokens.click_url_for_index(message, len(found) - 1)
    return tracked


def _rewrite_html(body: str, found: _Links, message) -> str:
    def replace(match: re.Match) -> str:
        original = html_lib.unescape(match.group(1))
        tracked = _tracked(original, found, message)
        if tracked == original:
            return match.group(0)
        return f'href="{html_lib.escape(tracked)}"'

    return _HREF.sub(replace, body)


def _rewrite_text(text: str, found: _Links, message) -> str:
    def replace(match: re.Match) -> str:
        url = match.group(0)
        trailing = ""
        while url and url[-1] in _TRAILING:
            url, trailing = url[:-1], url[-1] + trailing
        return _tracked(url, found, message) + trailing

    return _TEXT_URL.sub(replace, text)


def _add_pixel(body: str, pixel_url: str) -> str:
    pixel = (f'<img src="{html_lib.escape(pixel_url)}" width="1" height="1" alt="" '
             'style="display:block;width:1px;height:1px;border:0">')
    at = body.rfind("</body>")
    return body + pixel if at < 0 else body[:at] + pixel + body[at:]
