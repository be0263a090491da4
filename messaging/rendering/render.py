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
from jinja2 import nodes
from jinja2.runtime import new_context
from jinja2.visitor import NodeTransformer

from messaging import links as link_tokens

from . import limits
from .compile import compile_email
from .environment import send_env, send_text_env
from .plaintext import html_to_text, tidy_text
from .sms import Segments, sms_segments

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
    # The environment's globals (range, namespace, …) as a plain dict: each render's scope
    # starts from a copy, which lets the three renders of a message share one scope.
    globals: dict[str, Any] = field(default_factory=dict)
    compiled: str = ""  # the HTML source of `html` (a saved e-mail version's; else empty)
    # (brand, the HTML with that brand's values written in): see html_for.
    branded: tuple[dict[str, Any], JinjaTemplate] | None = None

    def html_for(self, brand: Any) -> JinjaTemplate:
        """The HTML template for a message of this brand (the context's `brand`): with the
        brand's text values written in as constants where the template reads them
        (`brand.primary_color`, …: two thirds of a default e-mail's thirty-odd expressions,
        the same for every message of a batch), which renders the same HTML with less work
        per message. Compiled once per brand as it stands; a changed brand gets a new one."""
        branded = self.branded
        if branded is not None and branded[0] == brand:
            return branded[1]
        if not self.compiled or type(brand) is not dict:
            return self.html
        template = html_template(self.compiled, brand=brand)
        self.branded = (dict(brand), template)
        return template


def _render(template: JinjaTemplate, scope: dict[str, Any]) -> str:
    """`template.render(scope)` for a scope that already holds the globals: Jinja's render
    copies its argument and merges it with the template's globals, a ChainMap read key by key
    in Python (and a new context scans them again), three renders per e-mail. The template
    only reads the scope (its own assignments go to the context's locals), so sharing it is
    safe.

    The one shortcut through Jinja's internals (`jinja2.runtime.new_context`,
    `Template.root_render_func`, neither in Jinja's documented API), kept for its measured
    gain: 66 → 88 µs a message without it (render_message, CPU, 15 alternated rounds of 300
    messages), about 6 % of a dispatch batch's CPU a message (in-process dispatch of 500
    messages, alternated rounds, per-round ratio medians 1.065 / 1.075 / 1.012), which is
    what `pipeline_msgs_per_s` of `bench/messaging.py` measures (`--only pipeline,render`,
    runs alternated on a shared machine: pipeline ratio 3.7 and 5.2 without it, 6.2 and 5.4
    with; render ratio 2.8 and 3.4 without, against the ≤ 3 target). Pinned by
    tests/test_rendering_internals.py; the public way, should Jinja change, is
    `template.render(scope)`."""
    try:
        # No globals for the context: the scope holds them already, and the context would
        # copy their keys on every render only for `{% import %}`, which has no loader here.
        context = new_context(template.environment, template.name, template.blocks, scope,
                              shared=True)
        with limits.budget():  # render_message's, when it opened one
            return template.environment.concat(  # type: ignore[attr-defined]
                template.root_render_func(context))
    except Exception:  # noqa: BLE001 - re-raised by Jinja with the template's line numbers
        template.environment.handle_exception()
        raise


class _PreparedCache:
    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._entries: OrderedDict[tuple, Prepared] = OrderedDict()
        self._lock = Lock()

    def get(self, key: tuple) -> Prepared | None:
        with self._lock:
            prepared = self._entries.get(key)
            if prepared is not None:
                self._entries.move_to_end(key)
            return prepared

    def put(self, key: tuple, prepared: Prepared) -> None:
        with self._lock:
            self._entries[key] = prepared
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
    Versions are immutable, so the cache never needs invalidating. Keyed by id and creation
    time (an entry must never serve another version that took the same id in a database
    created afresh under a running process)."""
    key = (version.pk, getattr(version, "created_at", None))
    if version.pk is not None:
        hit = prepared_cache.get(key)
        if hit is not None:
            return hit
    channel = version.template.channel
    if channel == "sms":
        text = send_text_env.from_string(version.body)
        result = Prepared(channel, None, None, text, dict(text.globals))
    else:
        compiled = version.compiled_html or _compile_late(version)
        text_source = version.text_body or html_to_text(compiled)
        headers = send_text_env.from_string(
            f"{version.subject}{{{{ '{_HEADER_SPLIT}' }}}}{version.preheader}")
        html = html_template(compiled)
        text = send_text_env.from_string(text_source)
        # send_env and send_text_env are made alike (environment.py): one set of globals.
        result = Prepared(channel, headers, html, text, dict(html.globals),
                          compiled=compiled if version.pk is not None else "")
    if version.pk is not None:
        prepared_cache.put(key, result)
    return result


def html_template(compiled: str, *, brand: dict[str, Any] | None = None) -> JinjaTemplate:
    """A version's compiled HTML as the Jinja2 template it is rendered with: in its literal
    text, every character beyond Latin-1 written as a numeric character reference (’ as
    &#8217;, · and é stay). The same HTML to every reader, but an e-mail whose own values
    are Latin-1 then stays a one-byte string in Python instead of two, which halves the work
    of everything after the render: the link scan, the copies, the UTF-8 encoding. Left
    as they are: the text of <style> and <script> (raw text, where a reference would not be
    read as one), and text a template captures ({% set %}…{% endset %}, {% filter %}) rather
    than outputs, which may be counted or cut."""
    tree = send_env.parse(compiled)
    _latin1_text(tree, raw=False)
    if brand is not None:
        _brand_constants(tree, brand)
    return send_env.from_string(tree)


def _brand_constants(tree: nodes.Template, brand: dict[str, Any]) -> None:
    """Each read of a text value of the context's `brand` (`brand.name`, `brand["name"]`)
    becomes that value as a constant, which Jinja escapes (or filters) once at compile time,
    as it would have at every render. Not if the template assigns `brand` anywhere
    ({% set %}, a loop, a macro's parameter): then `brand` is not always the context's."""
    if any(node.name == "brand" and node.ctx != "load" for node in tree.find_all(nodes.Name)):
        return
    _BrandConstants(brand).visit(tree)


class _BrandConstants(NodeTransformer):
    def __init__(self, brand: dict[str, Any]) -> None:
        self.brand = brand

    def visit_Getattr(self, node: nodes.Getattr) -> nodes.Node:
        return self._constant(node, node.attr)

    def visit_Getitem(self, node: nodes.Getitem) -> nodes.Node:
        key = node.arg.value if isinstance(node.arg, nodes.Const) else None
        return self._constant(node, key)

    def _constant(self, node: nodes.Getattr | nodes.Getitem, key: Any) -> nodes.Node:
        target = node.node
        value = self.brand.get(key) if isinstance(key, str) else None
        if (isinstance(target, nodes.Name) and target.name == "brand" and target.ctx == "load"
                and type(value) is str):
            return nodes.Const(value, lineno=node.lineno)
        return self.generic_visit(node)


_RAW_TEXT = re.compile(r"<(/?)(?:style|script)\b", re.IGNORECASE)


def _latin1_text(node, *, raw: bool) -> bool:
    """Rewrite the literal text under `node` in place (see html_template), in document
    order; `raw`: inside <style> or <script> so far. Returns that state after the node."""
    for child in node.iter_child_nodes():
        if isinstance(child, nodes.TemplateData):
            child.data, raw = _latin1_data(child.data, raw)
        elif not isinstance(child, nodes.AssignBlock | nodes.FilterBlock):
            raw = _latin1_text(child, raw=raw)
    return raw


def _latin1_data(data: str, raw: bool) -> tuple[str, bool]:
    out: list[str] = []
    done = 0
    for match in _RAW_TEXT.finditer(data):
        text = data[done:match.start()]
        out.append(text if raw else _references(text))
        raw = not match.group(1)
        done = match.start()
    text = data[done:]
    out.append(text if raw else _references(text))
    return "".join(out), raw


def _references(text: str) -> str:
    if text.isascii() or max(text) <= _LATIN_1:
        return text
    return "".join(c if c <= _LATIN_1 else f"&#{ord(c)};" for c in text)


_LATIN_1 = "\xff"  # up to here a str stays one byte a character


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
    pixel. Links to the shopper's own preferences page are left alone. Its parts render under
    one budget (limits.py): a template that would take too much raises TemplateTooCostly."""
    with limits.budget():
        return _render_message(version, context, message)


def _render_message(version, context: dict[str, Any], message) -> Rendered:
    parts = prepared(version)
    found = _Links(message)
    scope = {**parts.globals, **context}
    if parts.channel == "sms":
        text = _render(parts.text, scope).strip()
        text = _rewrite_text(text, found)
        if message is not None:
            message.links = list(found)
        return Rendered("", "", "", text, list(found), sms_segments(text))
    subject, _, preheader = _render(parts.headers, scope).partition(_HEADER_SPLIT)
    subject, preheader = " ".join(subject.split()), " ".join(preheader.split())
    scope["subject"], scope["preheader"] = subject, preheader
    body = _render(parts.html_for(context.get("brand")), scope)
    text = tidy_text(_render(parts.text, scope))
    pixel = _pixel(found.urls.open_pixel()) if found.urls is not None else ""
    body = _rewrite_html(body, found, pixel)
    text = _rewrite_text(text, found)
    if message is not None:
        message.links = list(found)
    return Rendered(subject, preheader, body, text, list(found))


class _Links(list):
    """The original URLs of one render in index order, with each one's click URL made once
    (the HTML and the text part share them; signing is the costly step)."""

    def __init__(self, message) -> None:
        super().__init__()
        self.message = message
        self.urls = link_tokens.MessageUrls(message) if message is not None else None
        self.tracked: dict[str, str] = {}
        # Read once per render: a message has a dozen links, settings access is not free.
        base = settings.PUBLIC_BASE_URL
        self.own_pages = (f"{base}/u/", f"{base}/m/")

    def track(self, url: str) -> str:
        """The URL to put in the message for `url` (the shopper's own pages stay as they are)."""
        tracked = self.tracked.get(url)
        if tracked is not None:
            return tracked
        if url.startswith(self.own_pages):
            tracked = url
        else:
            if url not in self:
                self.append(url)
            tracked = url if self.urls is None else self.urls.click(self.index(url))
        self.tracked[url] = tracked
        return tracked


_HREF_START = 'href="http'


def _rewrite_html(body: str, found: _Links, pixel: str = "") -> str:
    """Every `href="http(s)://…"` through `found.track`, and `pixel` before </body> (or at
    the end), in one pass that copies the body once. A plain substring search: compiled HTML
    went through css-inline's serializer (attributes lower-case, always double-quoted), and
    `str.find` skips 20 kB several times faster than a regular expression scan."""
    out: list[str] = []
    done = 0
    at = body.find(_HREF_START)
    while at >= 0:
        start = at + 6  # len('href="')
        end = body.find('"', start)
        if end < 0:
            break
        raw = body[start:end]
        scheme_end = 8 if raw.startswith("https://") else 7 if raw.startswith("http://") else 0
        if scheme_end and len(raw) > scheme_end:
            original = html_lib.unescape(raw)
            tracked = found.track(original)
            if tracked != original:
                out += (body[done:start], html_lib.escape(tracked))
                done = end
            at = body.find(_HREF_START, end + 1)
        else:  # not a URL after all (href="httpfoo"): look further along
            at = body.find(_HREF_START, at + 1)
    if pixel:
        close = body.rfind("</body>")
        if close >= done:
            out += (body[done:close], pixel, body[close:])
        elif close < 0:
            out += (body[done:], pixel)
        else:  # a rewritten link after </body>: rare enough to take the slow way
            joined = "".join([*out, body[done:]])
            close = joined.rfind("</body>")
            return joined[:close] + pixel + joined[close:]
    elif out:
        out.append(body[done:])
    else:
        return body
    return "".join(out)


def _rewrite_text(text: str, found: _Links) -> str:
    def replace(match: re.Match) -> str:
        url = match.group(0)
        trailing = ""
        while url and url[-1] in _TRAILING:
            url, trailing = url[:-1], url[-1] + trailing
        return found.track(url) + trailing

    return _TEXT_URL.sub(replace, text)


def _pixel(pixel_url: str) -> str:
    return (f'<img src="{html_lib.escape(pixel_url)}" width="1" height="1" alt="" '
            'style="display:block;width:1px;height:1px;border:0">')
