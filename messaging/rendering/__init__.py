"""Message templates: the Jinja2 sandbox, MJML compiled once per version, contexts, rendering.

    versions.py     template_version_save, template_version_current, template_source_check
    compile.py      layout.mjml + MJML + css-inline (MJML_COMPILES counts every compile)
    environment.py  the sandboxed Jinja2 environments, NamedUndefined, filters (date, money)
    context.py      context_for, contexts_for_many, sample_context (plain data only)
    render.py       render_message → Rendered (links → signed click URLs, open pixel)
    plaintext.py    the plain-text part generated from the compiled HTML
    sms.py          sms_segments (GSM-7 / UCS-2), sms_warning
    locales.py      the renderer's own words in en, de, fr, es (dates, money, statuses)
    defaults/       default templates per milestone and locale; default_templates_install

The variables templates see are documented for retailers in docs/templates.md.
"""

from .compile import MJML_COMPILES
from .context import context_for, contexts_for_many, sample_context
from .defaults import default_templates_install
from .render import Rendered, render_message
from .sms import Segments, sms_segments, sms_warning
from .versions import template_source_check, template_version_current, template_version_save

__all__ = [
    "MJML_COMPILES",
    "Rendered",
    "Segments",
    "context_for",
    "contexts_for_many",
    "default_templates_install",
    "render_message",
    "sample_context",
    "sms_segments",
    "sms_warning",
    "template_source_check",
    "template_version_current",
    "template_version_save",
]
