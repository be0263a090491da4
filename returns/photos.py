"""A shopper's photos of a returned item: images only, size-capped, re-encoded so nothing but
the pixels survives (EXIF: where and with what it was taken), stored under the tenant's prefix
in the private storage (no URL serves it as it is: the portal's status page and the dashboard
read it after checking who asks).

    photo_clean(upload)      → CleanPhoto (JPEG bytes, size)   or PhotoRefused (a clear reason)
    photo_store(tenant, line, photo)  → ReturnPhoto
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from config.errors import ApplicationError
from tenants.models import Tenant

from .models import ReturnLine, ReturnPhoto

MAX_BYTES = 10 * 1024 * 1024  # a phone's photo; larger is refused before it is decoded
MAX_PIXELS = 40_000_000  # a decompression bomb is refused, not decoded
MAX_SIDE = 2000  # kept: enough to see a scratch, small to store and send
MAX_PER_LINE = 3
FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "MPO", "GIF"}


class PhotoRefused(ApplicationError):
    code = "photo_refused"


@dataclass(frozen=True)
class CleanPhoto:
    content: bytes
    width: int
    height: int


def photo_clean(upload) -> CleanPhoto:
    """Check and re-encode an uploaded file (a Django UploadedFile)."""
    if upload.size > MAX_BYTES:
        raise PhotoRefused(str(_("This photo is too large; send one under 10 MB.")),
                           code="photo_too_large")
    try:
        with Image.open(upload) as image:
            if image.format not in FORMATS:
                raise PhotoRefused(str(_("Send a photo (JPEG, PNG or WebP).")), code="not_an_image")
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused(str(_("This photo is too large; send one under 10 MB.")),
                                   code="photo_too_large")
            # Upright by its EXIF orientation, then without EXIF (no exif= given: none written).
            upright = ImageOps.exif_transpose(image).convert("RGB")
            upright.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            upright.save(out, "JPEG", quality=85, optimize=True)
            return CleanPhoto(out.getvalue(), upright.width, upright.height)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise PhotoRefused(str(_("Send a photo (JPEG, PNG or WebP).")), code="not_an_image") from None


def photo_store(tenant: Tenant, line: ReturnLine, photo: CleanPhoto) -> ReturnPhoto:
    """Write the file (named by models.photo_path) and its row."""
    row = ReturnPhoto(tenant=tenant, line=line, width=photo.width, height=photo.height,
                      size=len(photo.content))
    row.image.save("photo.jpg", ContentFile(photo.content), save=False)
    row.save()
    return row
