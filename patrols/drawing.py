"""A round's track, and a grid's buildings, drawn as SVG on the server.

Plain functions of positions, no database: the admin pages hand in what a round passed and
put the result inline in the page. No script, no map library and no tile server are needed; a
page that is printed or saved keeps its map.

Two projections, both fitted to the bounding box of what is drawn with a margin around it:

- **equirectangular** (the default): x is longitude × cos(middle latitude), y is latitude. A
  grid is a few hundred metres across, where this is true to well under a percent;
- **Web Mercator**, when a tile server is configured (``settings.PATROL_MAP_TILE_URL``, a
  ``{z}/{x}/{y}`` template): the tiles are drawn under the track as ``<image>`` elements, and
  the track must be projected as the tiles are.

Every text put into the drawing (a building's address is typed by users) is escaped here;
the result is a safe string for that reason alone.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from patrols.geometry import EARTH_RADIUS_M, METRES_PER_DEGREE, Position

#: Tiles are this many pixels square (every {z}/{x}/{y} server).
TILE_PX = 256
MAX_ZOOM = 19
#: The least a drawing spans, in metres: one building alone still gets a street around it.
MIN_SPAN_M = 120.0
#: Web Mercator's limit of latitude (where the square world ends).
MERCATOR_MAX_LAT = 85.05112878

# Colours as SVG presentation attributes: the site's Content-Security-Policy refuses inline
# style attributes, not these.
TRACK_COLOUR = "#1565c0"
PASSED_COLOUR = "#2e7d32"
UNPASSED_COLOUR = "#9e9e9e"
FLAGGED_COLOUR = "#c62828"
INK = "#263238"


@dataclass(frozen=True)
class BuildingMark:
    """A building as drawn: a small square, labelled, green when passed."""

    label: str
    position: Position
    passed: bool = False


@dataclass(frozen=True)
class MapSize:
    width: int = 720
    height: int = 480
    margin: int = 36


# Web Mercator tile maths ----------------------------------------------------------------------


def mercator_unit(position: Position) -> tuple[float, float]:
    """``position`` in Web Mercator's unit square: x from 0 (180° W) to 1 (180° E), y from 0
    (the north edge, 85.05° N) to 1 (the south edge)."""
    lat = max(-MERCATOR_MAX_LAT, min(MERCATOR_MAX_LAT, position.latitude))
    x = (position.longitude + 180.0) / 360.0
    phi = math.radians(lat)
    y = (1.0 - math.log(math.tan(phi) + 1.0 / math.cos(phi)) / math.pi) / 2.0
    return x, y


def tile_of(position: Position, zoom: int) -> tuple[int, int]:
    """The ``{x}/{y}`` of the tile at ``zoom`` that holds ``position`` (the slippy-map scheme
    that OpenStreetMap and most tile servers share)."""
    x, y = mercator_unit(position)
    n = 2**zoom
    return min(n - 1, max(0, int(x * n))), min(n - 1, max(0, int(y * n)))


def tile_url(template: str, zoom: int, x: int, y: int) -> str:
    return template.replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y))


# Projections ------------------------------------------------------------------------------------


@dataclass
class Projection:
    """From positions to the drawing's coordinates (y down), fitted to a bounding box."""

    mercator: bool
    cos_lat: float
    scale: float = 1.0  # drawing units per plane unit
    offset: tuple[float, float] = (0.0, 0.0)
    #: Metres on the ground per plane unit (at the box's middle latitude).
    metres_per_unit: float = METRES_PER_DEGREE

    def plane(self, p: Position) -> tuple[float, float]:
        if self.mercator:
            return mercator_unit(p)
        return p.longitude * self.cos_lat, -p.latitude

    def __call__(self, p: Position) -> tuple[float, float]:
        u, v = self.plane(p)
        return (u - self.offset[0]) * self.scale, (v - self.offset[1]) * self.scale

    def unplane(self, x: float, y: float) -> tuple[float, float]:
        """The plane coordinates of the drawing's point (x, y)."""
        return x / self.scale + self.offset[0], y / self.scale + self.offset[1]

    @property
    def metres_per_px(self) -> float:
        return self.metres_per_unit / self.scale


def fit(positions: Sequence[Position], size: MapSize, *, mercator: bool = False) -> Projection:
    """The projection that puts ``positions`` inside ``size`` less its margins, centred, with
    the same scale both ways (a metre east is as long as a metre north)."""
    lats = [p.latitude for p in positions]
    middle = (min(lats) + max(lats)) / 2
    cos_lat = max(math.cos(math.radians(middle)), 1e-6)
    projection = Projection(mercator=mercator, cos_lat=cos_lat)
    if mercator:
        projection.metres_per_unit = 2 * math.pi * EARTH_RADIUS_M * cos_lat
    planes = [projection.plane(p) for p in positions]
    us, vs = [u for u, _v in planes], [v for _u, v in planes]
    min_span = MIN_SPAN_M / projection.metres_per_unit
    span_u = max(max(us) - min(us), min_span)
    span_v = max(max(vs) - min(vs), min_span)
    inner_w, inner_h = size.width - 2 * size.margin, size.height - 2 * size.margin
    projection.scale = min(inner_w / span_u, inner_h / span_v)
    centre_u, centre_v = (max(us) + min(us)) / 2, (max(vs) + min(vs)) / 2
    projection.offset = (
        centre_u - size.width / 2 / projection.scale,
        centre_v - size.height / 2 / projection.scale,
    )
    return projection


def tile_zoom(projection: Projection) -> int:
    """The zoom whose tiles come nearest to their own size in the drawing."""
    zoom = round(math.log2(projection.scale / TILE_PX))
    return max(0, min(MAX_ZOOM, zoom))


@dataclass(frozen=True)
class PlacedTile:
    href: str
    x: float
    y: float
    size: float


def tiles_covering(projection: Projection, size: MapSize, template: str) -> list[PlacedTile]:
    """The tiles under the whole drawing, each placed where the projection puts it."""
    zoom = tile_zoom(projection)
    n = 2**zoom
    left, top = projection.unplane(0, 0)
    right, bottom = projection.unplane(size.width, size.height)
    tile_size = projection.scale / n
    tiles = []
    for ty in range(max(0, math.floor(top * n)), min(n - 1, math.floor(bottom * n)) + 1):
        for tx in range(max(0, math.floor(left * n)), min(n - 1, math.floor(right * n)) + 1):
            x = (tx / n - projection.offset[0]) * projection.scale
            y = (ty / n - projection.offset[1]) * projection.scale
            tiles.append(PlacedTile(tile_url(template, zoom, tx, ty), x, y, tile_size))
    return tiles


# Scale bar -------------------------------------------------------------------------------------


def scale_bar_metres(metres_per_px: float, longest_px: float) -> int:
    """The longest round length (1, 2 or 5 times a power of ten metres) that fits in
    ``longest_px``."""
    limit = metres_per_px * longest_px
    best = 1
    power = 1
    while power <= limit:
        for step in (1, 2, 5):
            if step * power <= limit:
                best = step * power
        power *= 10
    return best


def _metres_label(metres: int) -> str:
    if metres >= 1000:
        return _("%(km)s km") % {"km": f"{metres / 1000:g}"}
    return _("%(metres)s m") % {"metres": metres}


def label_width(text: str, font_px: float = 10) -> float:
    """About how wide ``text`` is drawn: a Chinese character is square, a Latin one about half."""
    return sum(font_px if ord(ch) > 0x2E80 else font_px * 0.6 for ch in text)


# The drawing -----------------------------------------------------------------------------------


@dataclass
class Drawing:
    """What one map shows; ``svg()`` draws it."""

    buildings: list[BuildingMark] = field(default_factory=list)
    line: list[Position] = field(default_factory=list)
    flagged: list[Position] = field(default_factory=list)
    #: Other tracks drawn thin under the rest: a grid's rounds of a month, for its coverage.
    faint_lines: list[list[Position]] = field(default_factory=list)
    title: str = ""
    size: MapSize = field(default_factory=MapSize)
    #: A ``{z}/{x}/{y}`` tile template, or "" for none (then equirectangular, no background).
    tile_template: str = ""

    def positions(self) -> list[Position]:
        """What the map is fitted to: the buildings and the track. Flagged points only when
        there is nothing else: one GPS jump kilometres away would shrink the walk to a dot."""
        faint = [p for line in self.faint_lines for p in line]
        fitted = [*(b.position for b in self.buildings), *self.line, *faint]
        return fitted or list(self.flagged)

    def svg(self) -> SafeString:
        """The SVG element, or an empty string when nothing has a position."""
        positions = self.positions()
        if not positions:
            return mark_safe("")
        size = self.size
        projection = fit(positions, size, mercator=bool(self.tile_template))
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="patrol-map" '
            f'viewBox="0 0 {size.width} {size.height}" width="{size.width}" '
            f'height="{size.height}" role="img" aria-labelledby="patrol-map-title">',
            f'<title id="patrol-map-title">{escape(self.title)}</title>',
            f'<rect width="{size.width}" height="{size.height}" fill="#f7f9f8"/>',
        ]
        if self.tile_template:
            parts.append('<g class="tiles">')
            for tile in tiles_covering(projection, size, self.tile_template):
                # Each tile half a pixel larger: no hairline seams between them.
                parts.append(
                    f'<image href="{escape(tile.href)}" x="{tile.x:.1f}" y="{tile.y:.1f}" '
                    f'width="{tile.size + 0.5:.1f}" height="{tile.size + 0.5:.1f}"/>'
                )
            parts.append("</g>")
        parts.append(self._faint_lines_svg(projection))
        parts.append(self._buildings_svg(projection))
        parts.append(self._line_svg(projection))
        parts.append(self._flagged_svg(projection))
        parts.append(self._scale_bar_svg(projection))
        parts.append(self._north_arrow_svg())
        parts.append("</svg>")
        return mark_safe("".join(parts))

    def _faint_lines_svg(self, projection: Projection) -> str:
        lines = [line for line in self.faint_lines if len(line) > 1]
        if not lines:
            return ""
        parts = [
            f'<g class="faint-tracks" fill="none" stroke="{TRACK_COLOUR}" stroke-width="1.5" '
            f'stroke-opacity="0.35" stroke-linejoin="round">'
        ]
        for line in lines:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in map(projection, line))
            parts.append(f'<polyline points="{points}"/>')
        parts.append("</g>")
        return "".join(parts)

    def _buildings_svg(self, projection: Projection) -> str:
        parts = ['<g class="buildings" font-size="10" font-family="sans-serif">']
        for building in self.buildings:
            x, y = projection(building.position)
            colour = PASSED_COLOUR if building.passed else UNPASSED_COLOUR
            state = "passed" if building.passed else "unpassed"
            label = escape(building.label)
            # The label to the right of its square, or to the left where it would run off.
            if x + 8 + label_width(building.label) > self.size.width - 4:
                text = f'<text x="{x - 8:.1f}" y="{y + 4:.1f}" text-anchor="end" '
            else:
                text = f'<text x="{x + 8:.1f}" y="{y + 4:.1f}" '
            parts.append(
                f'<g class="building {state}"><title>{label}</title>'
                f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}" '
                f'stroke="{INK}" stroke-width="0.8"/>'
                f'{text}fill="{INK}">{label}</text></g>'
            )
        parts.append("</g>")
        return "".join(parts)

    def _line_svg(self, projection: Projection) -> str:
        if not self.line:
            return ""
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in map(projection, self.line))
        start_x, start_y = projection(self.line[0])
        end_x, end_y = projection(self.line[-1])
        return (
            f'<polyline class="track" points="{points}" fill="none" stroke="{TRACK_COLOUR}" '
            f'stroke-width="3" stroke-linejoin="round" stroke-linecap="round" '
            f'stroke-opacity="0.85"/>'
            f'<circle class="track-start" cx="{start_x:.1f}" cy="{start_y:.1f}" r="5" '
            f'fill="#ffffff" stroke="{TRACK_COLOUR}" stroke-width="2"/>'
            f'<circle class="track-end" cx="{end_x:.1f}" cy="{end_y:.1f}" r="5" '
            f'fill="{TRACK_COLOUR}"/>'
        )

    def _flagged_svg(self, projection: Projection) -> str:
        if not self.flagged:
            return ""
        parts = [f'<g class="flagged" stroke="{FLAGGED_COLOUR}" stroke-width="2">']
        for x, y in map(projection, self.flagged):
            if not (0 <= x <= self.size.width and 0 <= y <= self.size.height):
                continue  # off the map: counted on the page, not drawn
            parts.append(
                f'<path d="M{x - 4:.1f},{y - 4:.1f}L{x + 4:.1f},{y + 4:.1f}'
                f'M{x - 4:.1f},{y + 4:.1f}L{x + 4:.1f},{y - 4:.1f}"/>'
            )
        parts.append("</g>")
        return "".join(parts)

    def _scale_bar_svg(self, projection: Projection) -> str:
        metres = scale_bar_metres(projection.metres_per_px, self.size.width / 4)
        length = metres / projection.metres_per_px
        x, y = 16.0, self.size.height - 16.0
        return (
            f'<g class="scale-bar" font-size="11" font-family="sans-serif" fill="{INK}">'
            f'<rect x="{x - 4:.1f}" y="{y - 18:.1f}" width="{length + 8:.1f}" height="24" '
            f'fill="#ffffff" fill-opacity="0.8"/>'
            f'<path d="M{x:.1f},{y - 4:.1f}V{y:.1f}H{x + length:.1f}V{y - 4:.1f}" fill="none" '
            f'stroke="{INK}" stroke-width="1.5"/>'
            f'<text x="{x:.1f}" y="{y - 7:.1f}">{escape(_metres_label(metres))}</text></g>'
        )

    def _north_arrow_svg(self) -> str:
        x, y = self.size.width - 24.0, 16.0
        north = escape(pgettext("compass point", "N"))
        return (
            f'<g class="north-arrow" fill="{INK}" font-size="12" font-family="sans-serif" '
            f'text-anchor="middle"><path d="M{x:.1f},{y:.1f}l-7,20l7,-6l7,6z"/>'
            f'<text x="{x:.1f}" y="{y + 34:.1f}">{north}</text></g>'
        )
