"""Reads of a tenant's look that every shopper surface shares: the brand as plain data, its
font stacks, and colours that stay readable whatever the retailer picked (WCAG 2.1 contrast).

Messages (messaging.rendering), the tracking page (tracking.public) and the brand settings
page all draw the brand from here, so a shopper sees one look everywhere.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .models import Brand

# CSS font stacks for the brand fonts: system fonts only, so no page or message fetches a
# web font from anywhere.
FONT_STACKS: dict[str, str] = {
    Brand.Font.SYSTEM: "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif",
    Brand.Font.HELVETICA: "'Helvetica Neue', Helvetica, Arial, sans-serif",
    Brand.Font.GEORGIA: "Georgia, 'Times New Roman', Times, serif",
    Brand.Font.TREBUCHET: "'Trebuchet MS', 'Lucida Grande', Tahoma, sans-serif",
    Brand.Font.VERDANA: "Verdana, Geneva, Tahoma, sans-serif",
    Brand.Font.COURIER: "'Courier New', Courier, monospace",
}
SOCIAL_LABELS = {"instagram": "Instagram", "facebook": "Facebook", "x": "X", "tiktok": "TikTok",
                 "youtube": "YouTube", "pinterest": "Pinterest", "linkedin": "LinkedIn"}

DEFAULT_PRIMARY = "#1F6FEB"
DEFAULT_ACCENT = "#F59E0B"
DARK_TEXT = "#111827"


def _luminance(colour: str) -> float | None:
    """WCAG relative luminance of "#rrggbb"; None for anything else."""
    try:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    except (ValueError, IndexError, TypeError):
        return None
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(one: str, other: str) -> float:
    """WCAG 2.1 contrast ratio of two "#rrggbb" colours (1 to 21); 1 when one is not a colour."""
    a, b = _luminance(one), _luminance(other)
    if a is None or b is None:
        return 1.0
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def readable_on(colour: str) -> str:
    """White or near-black text, whichever reads better on `colour` (WCAG relative luminance)."""
    luminance = _luminance(colour)
    if luminance is None:
        return "#ffffff"
    return DARK_TEXT if luminance > 0.4 else "#ffffff"


def ink_on_white(colour: str, *, ratio: float = 4.5) -> str:
    """`colour` for text and marks on a white page: itself when it reaches `ratio` (4.5:1 for
    text, 3:1 for bars and borders), else the same hue darkened until it does; the brand stays
    recognisable and the page passes WCAG 2.1 AA whatever colour the retailer picked."""
    if _luminance(colour) is None:
        return DARK_TEXT
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    for step in range(21):  # 0 %, 5 %, … 100 % darker: black passes any ratio
        keep = 1 - step / 20
        shade = f"#{round(red * keep):02x}{round(green * keep):02x}{round(blue * keep):02x}"
        if contrast_ratio(shade, "#ffffff") >= ratio:
            return shade
    return "#000000"


def absolute_url(url: str) -> str:
    """A path on this site ("/media/logos/…", the demo's "/static/…" pictures) as a URL on
    PUBLIC_BASE_URL: a message is read where no page resolves a relative URL."""
    if url.startswith("/") and not url.startswith("//"):
        return f"{settings.PUBLIC_BASE_URL}{url}"
    return url


def brand_data(tenant, brand, *, absolute: bool = True) -> dict[str, Any]:
    """The brand as templates see it. `absolute`: the logo as a URL on PUBLIC_BASE_URL (for
    messages); a page on this site (or the tenant's own domain) keeps the path."""
    logo_url = brand.logo.url if brand is not None and brand.logo else ""
    if absolute and logo_url:
        logo_url = absolute_url(logo_url)
    primary = brand.primary_color if brand else DEFAULT_PRIMARY
    accent = brand.accent_color if brand else DEFAULT_ACCENT
    social = (brand.social_links or {}) if brand else {}
    return {
        "name": tenant.name,
        "logo_url": logo_url,
        "primary_color": primary,
        "accent_color": accent,
        "on_primary": readable_on(primary),
        "on_accent": readable_on(accent),
        "font_stack": FONT_STACKS.get(brand.font if brand else "system", FONT_STACKS["system"]),
        "sender_name": (brand.sender_name if brand else "") or tenant.name,
        "reply_to": brand.reply_to if brand else "",
        "footer_text": brand.footer_text if brand else "",
        "legal_text": brand.legal_text if brand else "",
        "support_email": brand.support_email if brand else "",
        "support_phone": brand.support_phone if brand else "",
        "help_url": brand.help_url if brand else "",
        "social_links": [{"network": name, "label": SOCIAL_LABELS.get(name, name.title()),
                          "url": social[name]}
                         for name in Brand.SOCIAL_NETWORKS if _web_url(social.get(name))],
    }


def _web_url(url: object) -> bool:
    """Only http(s) links reach a page or a message: a `javascript:` link is never a link."""
    return isinstance(url, str) and url.lower().startswith(("https://", "http://"))
