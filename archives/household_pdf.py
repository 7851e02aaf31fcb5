"""A household's register as a PDF: it only draws what ``selectors.household_register`` read,
masked as on screen. The font is the one every portal PDF embeds (``archives.pdf_font``)."""

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from accounts.names import person_name
from accounts.types import Actor
from archives.pdf_font import register_font
from archives.pdf_page import landscape_pdf
from archives.selectors import HouseholdRegister


def _table(rows: list[list], widths: list[float], font: str) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa7b4")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def household_register_pdf(register: HouseholdRegister, *, printed_by: Actor) -> bytes:
    """The register on landscape A4: the household, its residents, its latest visits; every
    page says who printed it and when (a printed register holds personal data)."""
    font = register_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12)
    title_style = ParagraphStyle("title", parent=base, fontSize=18, leading=24, spaceAfter=6)
    heading = ParagraphStyle("heading", parent=base, fontSize=12, leading=18, spaceBefore=8)
    household = register.household
    grid = household.building.grid
    title = _("Household register")
    printed = _("Printed by %(who)s on %(when)s") % {
        "who": person_name(printed_by),
        "when": formats.date_format(timezone.localtime(), "Y-m-d H:i"),
    }

    def cell(text) -> Paragraph:
        return Paragraph(str(text or "—"), base)

    facts = [
        [_("address"), str(household)],
        [_("status"), household.get_status_display()],
        [_("grid"), f"{grid.community.street.name} · {grid.community.name} · {grid.name}"],
    ]
    story = [
        Paragraph(title, title_style),
        _table([[cell(label), cell(value)] for label, value in facts], [35 * mm, 215 * mm], font),
        Paragraph(_("Residents"), heading),
    ]
    header = [
        pgettext("person", "name"),
        _("relation"),
        _("sex"),
        _("born / age"),
        _("ID number"),
        _("ethnicity"),
        _("phone"),
        _("residency status"),
        _("tags"),
        _("last verified"),
    ]
    rows = [[cell(h) for h in header]]
    for row in register.residents:
        resident = row.resident
        verified = (
            f"{formats.date_format(timezone.localtime(resident.last_verified_at), 'Y-m-d')} "
            f"{row.verified_by}"
            if resident.last_verified_at
            else _("never verified")
        )
        rows.append(
            [
                cell(resident.name),
                cell(resident.get_relation_to_head_display()),
                cell(resident.get_sex_display()),
                cell(row.born),
                cell(row.id_number),
                cell(resident.get_ethnicity_display()),
                cell(resident.phone),
                cell(resident.get_residency_status_display()),
                cell("、".join(row.tags)),
                cell(verified),
            ]
        )
    if len(rows) == 1:
        rows.append([cell(_("No resident here that you may see."))] + [""] * 9)
    widths = [24, 18, 10, 28, 38, 14, 26, 16, 40, 36]
    story.append(_table(rows, [w * mm for w in widths], font))
    if register.visits:
        story.append(Paragraph(_("Latest visits"), heading))
        visit_rows = [[cell(_("visited at")), cell(_("grid member")), cell(_("note"))]]
        for visit in register.visits:
            visit_rows.append(
                [
                    cell(formats.date_format(timezone.localtime(visit.visited_at), "Y-m-d H:i")),
                    cell(person_name(visit.grid_member)),
                    cell(visit.note),
                ]
            )
        story.append(_table(visit_rows, [35 * mm, 35 * mm, 180 * mm], font))
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(printed, base))
    return landscape_pdf(
        story,
        title=f"{title} {household}",
        footer=f"{title} · {household} · {printed}",
        font=font,
    )
