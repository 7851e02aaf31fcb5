"""The SVG map of a round, drawn on the server, read back with an XML parser; and the tile
maths of a tile server's background, checked against known tiles."""

import math
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import ImproperlyConfigured

from patrols import drawing
from patrols.drawing import BuildingMark, Drawing, MapSize
from patrols.geometry import Position, distance_m
from portal.env import env_url_origin

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def track_points(root: ET.Element) -> list[tuple[float, float]]:
    polyline = root.find(f".//{SVG}polyline")
    assert polyline is not None
    return [tuple(map(float, pair.split(","))) for pair in polyline.get("points").split()]


def building_groups(root: ET.Element) -> dict[str, str]:
    """{label: "passed" / "unpassed"} of the buildings drawn."""
    groups = {}
    for group in root.iter(f"{SVG}g"):
        classes = (group.get("class") or "").split()
        if "building" in classes:
            groups[group.find(f"{SVG}text").text] = classes[1]
    return groups


BUILDINGS = [
    BuildingMark("巡查路1号", Position(30.0, 120.0), passed=True),
    BuildingMark("巡查路2号", Position(30.001, 120.001), passed=False),
    BuildingMark("巡查路3号", Position(30.002, 120.0005), passed=True),
]
LINE = [Position(30.0 + i * 0.0002, 120.0 + (i % 3) * 0.0001) for i in range(11)]


def test_the_track_is_one_polyline_through_every_point_of_the_line():
    root = parse(Drawing(buildings=BUILDINGS, line=LINE).svg())
    assert len(track_points(root)) == len(LINE)
    assert root.find(f".//{SVG}circle[@class='track-start']") is not None


def test_every_building_with_a_position_is_drawn_and_the_passed_ones_are_marked():
    root = parse(Drawing(buildings=BUILDINGS, line=LINE).svg())
    assert building_groups(root) == {
        "巡查路1号": "passed",
        "巡查路2号": "unpassed",
        "巡查路3号": "passed",
    }
    passed_fill = {
        g.find(f"{SVG}rect").get("fill")
        for g in root.iter(f"{SVG}g")
        if "passed" in (g.get("class") or "").split()
    }
    assert passed_fill == {drawing.PASSED_COLOUR}


def test_an_address_with_markup_is_shown_as_text_not_run():
    evil = BuildingMark('<script>alert(1)</script>&"路', Position(30.0, 120.0))
    svg = Drawing(buildings=[evil], title="<b>round</b>").svg()
    assert "<script>" not in svg and "<b>" not in svg
    root = parse(svg)  # still well-formed XML
    assert root.find(f".//{SVG}script") is None
    assert building_groups(root) == {'<script>alert(1)</script>&"路': "unpassed"}
    assert root.find(f"{SVG}title").text == "<b>round</b>"


def test_flagged_points_are_drawn_as_crosses():
    root = parse(Drawing(line=LINE, flagged=[Position(30.001, 120.0001)] * 2).svg())
    crosses = root.findall(f".//{SVG}g[@class='flagged']/{SVG}path")
    assert len(crosses) == 2


def test_everything_drawn_lies_inside_the_margins():
    size = MapSize(width=600, height=400, margin=30)
    root = parse(Drawing(buildings=BUILDINGS, line=LINE, size=size).svg())
    for x, y in track_points(root):
        assert 30 - 0.1 <= x <= 570 + 0.1 and 30 - 0.1 <= y <= 370 + 0.1
    assert root.get("viewBox") == "0 0 600 400"


def test_north_is_up_and_east_is_right():
    root = parse(Drawing(line=[Position(30.0, 120.0), Position(30.001, 120.001)]).svg())
    (x0, y0), (x1, y1) = track_points(root)
    assert x1 > x0 and y1 < y0


def test_a_metre_east_is_as_long_as_a_metre_north_on_the_map():
    # 200 m north, then 200 m east (a degree of longitude is shorter by cos(30°)).
    north = Position(30.0 + 200 / 111_195, 120.0)
    east = Position(north.latitude, 120.0 + 200 / (111_195 * math.cos(math.radians(30))))
    root = parse(Drawing(line=[Position(30.0, 120.0), north, east]).svg())
    (_x0, y0), (x1, y1), (x2, _y2) = track_points(root)
    assert abs(y1 - y0) == pytest.approx(abs(x2 - x1), rel=0.01)


def test_the_scale_bar_says_a_length_that_matches_the_map():
    start, end = Position(30.0, 120.0), Position(30.01, 120.0)  # 1.1 km north
    svg = Drawing(line=[start, end], size=MapSize(720, 480, 36)).svg()
    root = parse(svg)
    (_x0, y0), (_x1, y1) = track_points(root)
    metres_per_px = distance_m(start, end) / abs(y1 - y0)
    label = root.find(f".//{SVG}g[@class='scale-bar']/{SVG}text").text
    bar = root.find(f".//{SVG}g[@class='scale-bar']/{SVG}path").get("d")
    # "M16.0,460.0V464.0H{end}V460.0": the bar's length in pixels
    bar_px = float(bar.split("H")[1].split("V")[0]) - 16.0
    metres = drawing.scale_bar_metres(metres_per_px, 720 / 4)
    assert metres in (200, 500, 1000)
    assert bar_px * metres_per_px == pytest.approx(metres, rel=0.02)
    assert label in (
        f"{metres} m",
        f"{metres} 米",
        f"{metres / 1000:g} km",
        f"{metres / 1000:g} 公里",
    )


@pytest.mark.parametrize(
    ("metres_per_px", "longest_px", "expected"),
    [(1.0, 180, 100), (2.0, 180, 200), (4.0, 180, 500), (10.0, 180, 1000), (0.1, 180, 10)],
)
def test_the_scale_bar_is_a_round_length(metres_per_px, longest_px, expected):
    assert drawing.scale_bar_metres(metres_per_px, longest_px) == expected


def test_one_building_alone_still_gets_a_street_around_it():
    root = parse(Drawing(buildings=BUILDINGS[:1]).svg())
    assert building_groups(root) == {"巡查路1号": "passed"}


def test_nothing_with_a_position_draws_nothing():
    assert Drawing().svg() == ""


# Web Mercator tiles --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "zoom", "tile"),
    [
        # OpenStreetMap's own examples (wiki "Slippy map tilenames").
        (Position(0.0, 0.0), 1, (1, 1)),
        (Position(51.5074, -0.1278), 10, (511, 340)),  # London
        (Position(48.8566, 2.3522), 12, (2074, 1409)),  # Paris
        (Position(39.9042, 116.4074), 15, (26979, 12416)),  # Beijing, Tiananmen
        (Position(85.0, -179.9), 2, (0, 0)),
    ],
)
def test_the_tile_holding_a_known_place_is_the_one_tile_servers_name(position, zoom, tile):
    assert drawing.tile_of(position, zoom) == tile


def test_the_mercator_square_runs_from_the_north_west_corner():
    assert drawing.mercator_unit(Position(0.0, -180.0)) == pytest.approx((0.0, 0.5))
    assert drawing.mercator_unit(Position(drawing.MERCATOR_MAX_LAT, 180.0)) == pytest.approx(
        (1.0, 0.0), abs=1e-9
    )


def test_a_tile_url_fills_the_template():
    assert (
        drawing.tile_url("https://t.example.org/{z}/{x}/{y}.png", 15, 26979, 12416)
        == "https://t.example.org/15/26979/12416.png"
    )


def test_with_a_tile_server_the_tiles_cover_the_map_and_the_track_lies_on_them():
    template = "https://t.example.org/{z}/{x}/{y}.png"
    size = MapSize(720, 480, 36)
    line = [Position(39.9042, 116.4074), Position(39.9062, 116.4094)]
    root = parse(Drawing(line=line, tile_template=template, size=size).svg())
    images = root.findall(f".//{SVG}g[@class='tiles']/{SVG}image")
    assert images
    # A zoom where a tile is drawn at about its own size.
    sizes = {float(i.get("width")) for i in images}
    assert all(128 <= s <= 513 for s in sizes)
    # The tiles together cover the whole drawing.
    xs = [float(i.get("x")) for i in images]
    ys = [float(i.get("y")) for i in images]
    tile = max(sizes)
    assert min(xs) <= 0 and min(ys) <= 0
    assert max(xs) + tile >= size.width and max(ys) + tile >= size.height
    # The track's first point lies on the tile that holds it.
    (x, y), _ = track_points(root)
    href = next(
        i.get("href")
        for i in images
        if float(i.get("x")) <= x < float(i.get("x")) + tile
        and float(i.get("y")) <= y < float(i.get("y")) + tile
    )
    zoom = int(href.split("/")[3])
    tx, ty = drawing.tile_of(line[0], zoom)
    assert href == f"https://t.example.org/{zoom}/{tx}/{ty}.png"


def test_without_a_tile_server_no_image_is_asked_for():
    root = parse(Drawing(line=LINE).svg())
    assert root.find(f".//{SVG}image") is None


def test_a_label_near_the_right_edge_is_drawn_to_the_left_of_its_building():
    west = BuildingMark("西楼", Position(30.0, 120.0))
    east = BuildingMark("东边很长很长的楼栋地址", Position(30.0, 120.01))
    root = parse(Drawing(buildings=[west, east]).svg())
    texts = {t.text: t for t in root.iter(f"{SVG}text")}
    assert texts["西楼"].get("text-anchor") is None
    assert texts["东边很长很长的楼栋地址"].get("text-anchor") == "end"


def test_a_configured_tile_server_gives_its_origin_for_the_csp_and_none_gives_nothing(
    monkeypatch,
):
    monkeypatch.delenv("PATROL_MAP_TILE_URL", raising=False)
    assert env_url_origin("PATROL_MAP_TILE_URL") == ("", "")
    monkeypatch.setenv("PATROL_MAP_TILE_URL", "https://t.example.org/osm/{z}/{x}/{y}.png")
    assert env_url_origin("PATROL_MAP_TILE_URL") == (
        "https://t.example.org/osm/{z}/{x}/{y}.png",
        "https://t.example.org",
    )
    for wrong in ("t.example.org/{z}/{x}/{y}.png", "https://{s}.example.org/{z}/{x}/{y}.png"):
        monkeypatch.setenv("PATROL_MAP_TILE_URL", wrong)
        with pytest.raises(ImproperlyConfigured):
            env_url_origin("PATROL_MAP_TILE_URL")


def test_a_gps_jump_far_away_does_not_shrink_the_walk_and_is_left_off_the_map():
    jump = Position(30.2, 120.3)  # some 35 km off
    alone = track_points(parse(Drawing(buildings=BUILDINGS, line=LINE).svg()))
    root = parse(Drawing(buildings=BUILDINGS, line=LINE, flagged=[jump]).svg())
    assert track_points(root) == alone
    assert not root.findall(f".//{SVG}g[@class='flagged']/{SVG}path")


def test_a_months_tracks_are_drawn_thin_under_the_buildings():
    other = [Position(30.0, 120.001), Position(30.002, 120.001)]
    root = parse(Drawing(buildings=BUILDINGS, faint_lines=[LINE, other, other[:1]]).svg())
    faint = root.findall(f".//{SVG}g[@class='faint-tracks']/{SVG}polyline")
    assert len(faint) == 2  # a line of one point draws nothing
    drawn = [child.get("class") for child in root]
    assert drawn.index("faint-tracks") < drawn.index("buildings")
