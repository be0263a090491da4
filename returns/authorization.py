"""The printable return authorisation: without a label carrier (no EasyPost API key, the
demo), a shopper who ships the parcel themselves puts this sheet in it. One A4 page made with
fpdf2: the shop, the return's number (what the returns team looks up), the order, the items,
the address to send to, and a QR code (qrcode) of the return's status page.

Served to the holder of the return's token (the portal) and to the store's members (the
dashboard), never cached, in the shopper's language.
"""

from __future__ import annotations

import unicodedata

import qrcode
from django.utils.translation import gettext as _
from fpdf import FPDF

from .models import ReturnRequest


def _latin(text: object) -> str:
    """The PDF's built-in font knows Latin-1: accents pass, anything else becomes "?"."""
    return unicodedata.normalize("NFKC", str(text)).encode("latin-1", "replace").decode("latin-1")


def authorization_pdf(request: ReturnRequest, *, shop_name: str, status_url: str,
                      address: list[str]) -> bytes:
    """The sheet for `request` (its lines and order loaded), in the active language."""
    pdf = FPDF(format="A4")
    pdf.set_title(_latin(_("Return %(number)s") % {"number": request.number}))
    pdf.set_author(_latin(shop_name))
    pdf.set_creator("Doorstep")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 10, _latin(shop_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin(_("Return authorisation")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 28)
    pdf.cell(0, 16, _latin(request.number), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, _latin(_("Put this sheet in the parcel with the items.")),
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, _latin(_("Your return")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, _latin(request.order.number), new_x="LMARGIN", new_y="NEXT")
    for line in request.lines.all():
        pdf.multi_cell(0, 6, _latin(f"{line.quantity} x {line.line_item.title}"),
                       new_x="LMARGIN", new_y="NEXT")
    if address:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(0, 8, _latin(_("Send the parcel to:")), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        for part in address:
            pdf.cell(0, 6, _latin(part), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, _latin(_("Scan to follow your return:")), new_x="LMARGIN", new_y="NEXT")
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(status_url)
    code.make(fit=True)
    pdf.image(code.make_image().get_image(), w=45, h=45)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 5, _latin(status_url), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
