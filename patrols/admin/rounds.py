"""Seeing rounds: the list of patrol rounds, a round's page with its track drawn over the grid's
buildings, and a grid's rounds by day with the month's coverage.

Who sees which round is ``patrols.selectors.patrols_visible``: a grid member their own, those
who oversee an area (community, street, city) its rounds, departments and auditors none (their
roles lack ``view_patrol``). The list, the round's page, its history and the grid's month all
ask it; a round outside it is a 404, as any other row outside one's area.

Rounds are written by the services only (the phone page, tracking apps, the commands): these
pages read, for everyone.

The grid's month page is reached from the grid list (archives' ``GridAdmin``, re-registered
here with a "rounds" column: archives, the lower layer, cannot name patrols), from a round's
page and from the round list's grid column.
"""

import datetime as dt

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.names import person_name
from archives import months, scope
from archives.admin.base import DeclaredLookupsOnly, HistoryAdminMixin
from archives.admin.filters import org_filters
from archives.admin.org import GridAdmin
from archives.admin.paging import EstimatingPaginator
from archives.models import Grid
from patrols import drawing, selectors
from patrols.geometry import Position
from patrols.models import Patrol, PatrolBuilding, TrackPoint

#: What a round's history page shows, in the order of its page.
PATROL_HISTORY_FIELDS = [
    "member",
    "grid",
    "state",
    "started_at",
    "ended_at",
    "distance_m",
    "point_count",
    "flagged_count",
    "points_purged_at",
]


def grid_month_url(grid_id: int, month: dt.date) -> str:
    query = urlencode({"grid": str(grid_id), "month": months.month_text(month)})
    return f"{reverse('admin:patrols_patrol_grid_month')}?{query}"


def duration_text(seconds: int | None) -> str:
    """``1 h 05 min``, ``25 min``; "—" for a round still open."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return gettext("%(minutes)s min") % {"minutes": minutes}
    return gettext("%(hours)s h %(minutes)02d min") % {
        "hours": minutes // 60,
        "minutes": minutes % 60,
    }


def kilometres_text(metres: int) -> str:
    return f"{metres / 1000:.2f}"


def _tile_template() -> str:
    return getattr(settings, "PATROL_MAP_TILE_URL", "") or ""


def _building_marks(buildings: list[selectors.GridBuilding]) -> list[drawing.BuildingMark]:
    return [
        drawing.BuildingMark(label=b.building.address, position=position, passed=b.passed)
        for b in buildings
        if (position := b.position) is not None
    ]


def patrol_drawing(patrol: Patrol, buildings: list[selectors.GridBuilding]) -> drawing.Drawing:
    """The round's map: its grid's buildings, its simplified line, its flagged points (while
    the points are kept)."""
    flagged: list[Position] = []
    if patrol.points_purged_at is None:
        flagged = [
            Position(p.latitude, p.longitude)
            for p in selectors.patrol_points(patrol)
            if p.flag != TrackPoint.Flag.PLAUSIBLE
        ]
    return drawing.Drawing(
        buildings=_building_marks(buildings),
        line=patrol.line_positions,
        flagged=flagged,
        title=gettext("Track of %(round)s") % {"round": patrol},
        tile_template=_tile_template(),
    )


@admin.register(Patrol)
class PatrolAdmin(HistoryAdminMixin, DeclaredLookupsOnly, admin.ModelAdmin):
    """Rounds, read-only: the list, a round's page with its map, its history, a grid's month."""

    change_form_template = "admin/patrols/patrol/change_form.html"
    change_list_template = "admin/patrols/patrol/change_list.html"
    history_fields = PATROL_HISTORY_FIELDS
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatingPaginator
    list_display = [
        "started_at",
        "member_name",
        "grid_link",
        "ended_at",
        "state",
        "kilometres",
        "duration",
        "points",
        "buildings",
    ]
    list_display_links = ["started_at"]
    list_filter = ["state", *org_filters("grid"), "started_at"]
    list_select_related = ["member", "grid"]
    fields = (
        "member_name",
        "grid",
        "state",
        "started_at",
        "ended_at",
        "kilometres",
        "duration",
        "points",
        "buildings",
        "points_purged_at",
    )
    readonly_fields = fields

    # Who sees what ------------------------------------------------------------------------

    def get_queryset(self, request):
        passed = (
            PatrolBuilding.objects.filter(patrol=OuterRef("pk"))
            .order_by()
            .values("patrol")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return selectors.patrols_visible(request.user).annotate(
            buildings_passed_count=Coalesce(Subquery(passed, output_field=IntegerField()), 0)
        )

    def has_view_permission(self, request, obj=None):
        if not super().has_view_permission(request):
            return False
        return obj is None or selectors.patrols_visible(request.user).filter(pk=obj.pk).exists()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}

    # The list's columns ----------------------------------------------------------------------

    @admin.display(description=_("grid member"), ordering="member__username")
    def member_name(self, patrol: Patrol) -> str:
        return person_name(patrol.member)

    @admin.display(description=_("grid"), ordering="grid__name")
    def grid_link(self, patrol: Patrol) -> str:
        url = grid_month_url(patrol.grid_id, timezone.localdate(patrol.started_at))
        return format_html('<a href="{}" class="grid-month-link">{}</a>', url, patrol.grid.name)

    @admin.display(description=_("km"), ordering="distance_m")
    def kilometres(self, patrol: Patrol) -> str:
        return kilometres_text(patrol.distance_m)

    @admin.display(description=_("duration"))
    def duration(self, patrol: Patrol) -> str:
        return duration_text(patrol.duration_s)

    @admin.display(description=_("points (implausible)"), ordering="point_count")
    def points(self, patrol: Patrol) -> str:
        if patrol.flagged_count:
            return f"{patrol.point_count} ({patrol.flagged_count})"
        return str(patrol.point_count)

    @admin.display(description=_("buildings passed"), ordering="buildings_passed_count")
    def buildings(self, patrol: Patrol) -> int:
        return patrol.buildings_passed_count  # type: ignore[attr-defined]  # get_queryset's

    # The pages -------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        grid_month = path(
            "grid-month/", view(self.grid_month_view), name="patrols_patrol_grid_month"
        )
        return [grid_month, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._viewable(request, object_id)  # a 404 outside the user's area, not a redirect
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            buildings = selectors.patrol_buildings(obj)
            context.update(
                track_svg=patrol_drawing(obj, buildings).svg(),
                buildings_without_position=sum(1 for b in buildings if b.position is None),
                points_purged=obj.points_purged_at is not None,
                grid_month_url=grid_month_url(obj.grid_id, timezone.localdate(obj.started_at)),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changelist_view(self, request, extra_context=None):
        # Filtered by one grid: a button to that grid's month.
        grid = request.GET.get("grid", "")
        extra = dict(extra_context or {})
        if grid.isdigit():
            extra["grid_month_url"] = grid_month_url(int(grid), timezone.localdate())
        return super().changelist_view(request, extra)

    def grid_month_view(self, request):
        """A grid's rounds in a month, by day, and the buildings they passed."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        grid_id = request.GET.get("grid", "")
        if not grid_id.isdigit():
            return HttpResponseRedirect(reverse("admin:patrols_patrol_changelist"))
        grid = scope.restrict(Grid.objects.all(), request.user).filter(pk=grid_id).first()
        if grid is None:
            raise Http404(_("Not found in your area."))
        month = months.parse_month(request.GET.get("month")) or months.first_day(
            timezone.localdate()
        )
        data = selectors.grid_month(request.user, grid, month)
        map_svg = drawing.Drawing(
            buildings=_building_marks(data.buildings),
            faint_lines=[patrol.line_positions for _day, rounds in data.days for patrol in rounds],
            title=gettext("Buildings of %(grid)s passed in %(month)s")
            % {"grid": grid.name, "month": months.month_text(month)},
            tile_template=_tile_template(),
        ).svg()
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Rounds of %(grid)s in %(month)s")
            % {"grid": grid.name, "month": months.month_text(month)},
            "opts": self.opts,
            "grid": grid,
            "data": data,
            "days": [
                (
                    day,
                    [
                        (
                            p,
                            person_name(p.member),
                            duration_text(p.duration_s),
                            kilometres_text(p.distance_m),
                        )
                        for p in ps
                    ],
                )
                for day, ps in data.days
            ],
            "kilometres": kilometres_text(data.distance_m),
            "coverage_percent": None if data.coverage is None else round(100 * data.coverage),
            "map_svg": map_svg,
            "unplaced": sum(1 for b in data.buildings if b.position is None),
            "previous_url": grid_month_url(grid.pk, months.previous_month(month)),
            "next_url": grid_month_url(grid.pk, months.next_month(month)),
            "rounds_url": reverse("admin:patrols_patrol_changelist") + f"?grid={grid.pk}",
        }
        return TemplateResponse(request, "admin/patrols/patrol/grid_month.html", context)


# The grid list, with a link to each grid's rounds -------------------------------------------------

admin.site.unregister(Grid)


@admin.register(Grid)
class GridWithRoundsAdmin(GridAdmin):
    """archives' grid admin with a "rounds" column for those who may see rounds.

    Registered here, over archives' own, because archives (the lower layer) may not name the
    patrols app; everything else is archives' ``GridAdmin`` unchanged."""

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if request.user.has_perm("patrols.view_patrol"):
            columns.append("rounds_link")
        return columns

    @admin.display(description=_("rounds"))
    def rounds_link(self, grid: Grid) -> str:
        url = grid_month_url(grid.pk, timezone.localdate())
        return format_html('<a href="{}" class="rounds-link">{}</a>', url, gettext("rounds"))
