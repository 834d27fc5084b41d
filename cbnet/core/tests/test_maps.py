"""Country maps: only the needed shapes, markers for small states, one spec for page and PDF."""

import json

from cbnet.core import maps
from cbnet.core.charts import Chart
from cbnet.core.maps import country_map, country_shapes

# ISO 3166-1 numeric ids, as in world-atlas and pycountry.
URUGUAY, BRAZIL, BARBADOS, UNITED_STATES = "858", "076", "052", "840"


def ids(shapes):
    return {g["id"] for g in shapes.topology["objects"]["countries"]["geometries"]}


def coordinates(shapes, numeric):
    """Every (lon, lat) the sliced topology draws for one country."""
    topology = shapes.topology
    transform = topology["transform"]
    (geometry,) = [g for g in topology["objects"]["countries"]["geometries"] if g["id"] == numeric]
    points = []
    for polygon in geometry["arcs"]:
        for ring in polygon:
            points.extend(maps._ring(topology["arcs"], transform, ring))
    return points


def test_slice_holds_only_the_requested_countries():
    shapes = country_shapes(["UY", "BR", "BB", "GI"])
    assert ids(shapes) == {URUGUAY, BRAZIL, BARBADOS}
    assert {
        g["properties"]["code"] for g in shapes.topology["objects"]["countries"]["geometries"]
    } == {
        "UY",
        "BR",
        "BB",
    }
    # Only the arcs those countries use, simplified: a small fraction of the world file.
    with open(maps.world_atlas_path(), encoding="utf-8") as handle:
        world_size = len(handle.read())
    assert len(json.dumps(shapes.topology)) < world_size / 20
    # Every arc reference points into the sliced arcs.
    count = len(shapes.topology["arcs"])
    for geometry in shapes.topology["objects"]["countries"]["geometries"]:
        for polygon in geometry["arcs"]:
            for ring in polygon:
                assert all(0 <= (~arc if arc < 0 else arc) < count for arc in ring)


def test_shapes_are_in_the_right_place():
    shapes = country_shapes(["UY"])
    lons, lats = zip(*coordinates(shapes, URUGUAY), strict=True)
    assert -58.5 < min(lons) and max(lons) < -53 and -35.1 < min(lats) and max(lats) < -30


def test_small_states_get_a_marker_and_missing_ones_are_listed():
    shapes = country_shapes(["UY", "BB", "LC", "TT", "GI", "TV"])
    small = {marker["code"]: marker for marker in shapes.small}
    assert set(small) == {"BB", "LC"}  # Trinidad and Tobago (5,100 km²) is drawn as a shape
    assert -59.7 < small["BB"]["lon"] < -59.4 and 13.0 < small["BB"]["lat"] < 13.4
    assert shapes.areas["BB"] < maps.SMALL_STATE_KM2 < shapes.areas["TT"]
    assert 150_000 < shapes.areas["UY"] < 200_000  # 176,215 km²
    assert shapes.missing == ("GI", "TV")  # not in world-atlas at all


def test_parts_beyond_the_antimeridian_are_left_out():
    """The western Aleutians (east of 180°) would stretch a map of the Americas round the
    globe; the United States is drawn west of it only."""
    shapes = country_shapes(["US"])
    assert all(lon < 0 for lon, _lat in coordinates(shapes, UNITED_STATES))


def test_slices_are_cached_per_set_of_countries():
    assert country_shapes(["UY", "BR"]) is country_shapes(["BR", "UY", ""])
    assert country_shapes(["UY"]) is not country_shapes(["UY", "BR"])


def test_missing_atlas_degrades_to_no_shapes(settings, tmp_path):
    settings.CBNET_WORLD_ATLAS = tmp_path / "none.json"
    maps._shapes.cache_clear()
    try:
        shapes = country_shapes(["UY"])
        assert ids(shapes) == set() and shapes.missing == ("UY",)
    finally:
        maps._shapes.cache_clear()


def region_rows():
    return [
        {"code": "UY", "country": "Uruguay", "status": "Current"},
        {"code": "BR", "country": "Brasil", "status": "Stale"},
        {"code": "BB", "country": "Barbados", "status": "Current"},
    ]


def build(rows=None):
    rows = region_rows() if rows is None else rows
    return country_map(
        rows,
        value="status",
        value_title="Contacts",
        domain=["Current", "Stale"],
        colors=["#198754", "#dc3545"],
        tooltip=[("country", "Country")],
        title="Members",
    )


def test_map_spec_holds_the_regions_countries_markers_and_legend():
    result = build()
    spec = Chart(result.chart, "Members", [], [], datasets=result.datasets).spec(validate=True)
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v6")
    topology = spec["datasets"][maps.SHAPES_DATASET]
    assert {g["id"] for g in topology["objects"]["countries"]["geometries"]} == {
        URUGUAY,
        BRAZIL,
        BARBADOS,
    }
    shapes_layer, marker_layer = spec["layer"]
    assert shapes_layer["data"] == {
        "name": maps.SHAPES_DATASET,
        "format": {"type": "topojson", "feature": "countries"},
    }
    assert shapes_layer["mark"]["type"] == "geoshape"
    lookup = shapes_layer["transform"][0]
    assert lookup["lookup"] == "properties.code"
    assert [row["code"] for row in lookup["from"]["data"]["values"]] == ["UY", "BR", "BB"]
    markers = marker_layer["data"]["values"]
    assert [(m["code"], m["country"], m["status"]) for m in markers] == [
        ("BB", "Barbados", "Current")
    ]
    color = shapes_layer["encoding"]["color"]
    assert color["scale"] == {"domain": ["Current", "Stale"], "range": ["#198754", "#dc3545"]}
    assert [t["field"] for t in shapes_layer["encoding"]["tooltip"]] == ["country", "status"]
    assert spec["projection"]["type"] == "equalEarth"


def test_map_renders_to_svg_with_a_marker_and_the_legend():
    result = build()
    svg = Chart(result.chart, "Members", [], [], datasets=result.datasets).svg()
    assert svg.startswith("<svg")
    assert "Current" in svg and "Stale" in svg  # legend
    assert 'class="mark-symbol' in svg  # the marker layer drew Barbados


def test_empty_map_still_renders():
    result = build(rows=[])
    assert Chart(result.chart, "x", [], [], datasets=result.datasets).svg().startswith("<svg")
