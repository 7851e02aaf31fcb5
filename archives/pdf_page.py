"""The page every PDF of the portal is printed on: landscape A4 with the same margins, and on
every page a footer line saying what the document is and which page this is.

Beside ``archives.pdf_font`` for the same reason: the household register (``archives``) and the
monthly report (``exports``) print alike without ``archives`` importing ``exports``.
"""

import io

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import SimpleDocTemplate

MARGIN = 12 * mm
BOTTOM_MARGIN = 14 * mm
FOOTER_FONT_SIZE = 8
FOOTER_BASELINE = 8 * mm


def landscape_pdf(
    story: list, *, title: str, footer: str, font: str, footer_inset: float = MARGIN
) -> bytes:
    """``story`` built on landscape A4 pages, each with ``footer`` on the left and its page
    number on the right, ``footer_inset`` from the page's edges."""

    def on_page(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(font, FOOTER_FONT_SIZE)
        canvas.drawString(footer_inset, FOOTER_BASELINE, footer)
        canvas.drawRightString(
            doc.pagesize[0] - footer_inset,
            FOOTER_BASELINE,
            _("Page %(page)d") % {"page": doc.page},
        )
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=BOTTOM_MARGIN,
        title=title,
        author=_("Community governance portal"),
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
