"""Country maps: a Vega-Lite geoshape of some countries, coloured by a value per country.

Shapes come from world-atlas's ``countries-50m.json`` (Natural Earth 1:50m, TopoJSON; ids
are ISO 3166-1 numeric codes, the ``numeric`` of pycountry). The page gets only the
countries it draws: ``country_shapes(codes)`` slices the world file (geometries and the arcs
they use) and keeps the result in memory per set of countries (a region's members), so the
1 MB world file is read once per region and process, never sent to the browser.

States too small to see at a region's scale get a point marker at their centre:
a country is *small* when its area in the atlas is under ``SMALL_STATE_KM2`` (5,000 km²:
the Caribbean island states, Luxembourg, Bahrain, Singapore, Malta, Mauritius, Cabo Verde,
Samoa, ...; Trinidad and Tobago, 5,100 km², is drawn as a shape and is just visible).
Codes the atlas does not draw at all (Gibraltar, Tuvalu, French overseas departments, ...)
are listed in ``Shapes.missing`` and shown as a note under the map.

``country_map(rows, ...)`` builds the chart (one Altair layer chart: shapes plus markers,
the same spec in the browser and, through ``charts.chart_svg``, in PDFs)::

    rows = [{"code": "UY", "country": "Uruguay", "status": "Confirmed"}, ...]
    chart = country_map(rows, value="status", value_title=_("Contacts"),
                        domain=[...labels...], colors=[...], tooltip=[("country", _("Country"))])
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pycountry
from django.conf import settings

logger = logging.getLogger(__name__)

SMALL_STATE_KM2 = 5_000
SHAPES_DATASET = "cbnet-country-shapes"
EARTH_RADIUS_KM = 6378.137
WIDTH, HEIGHT = 560, 420
SIMPLIFY_FRACTION = 600  # drop detail finer than the extent / 600 (about a pixel)


def world_atlas_path() -> Path:
    return Path(
        getattr(
            settings,
            "CBNET_WORLD_ATLAS",
            settings.BASE_DIR / "node_modules" / "world-atlas" / "countries-50m.json",
        )
    )


@dataclass(frozen=True)
class Shapes:
    topology: dict  # TopoJSON with object "countries": only the requested countries
    small: tuple  # ({"code", "lon", "lat", "area_km2"}, ...) for point markers
    missing: tuple  # alpha-2 codes the atlas does not draw
    areas: dict  # {alpha-2: km²} of the drawn countries


def numeric_code(alpha_2):
    country = pycountry.countries.get(alpha_2=alpha_2)
    return country.numeric if country else None


@lru_cache(maxsize=64)
def _shapes(codes: frozenset) -> Shapes:
    try:
        with open(world_atlas_path(), encoding="utf-8") as handle:
            world = json.load(handle)
    except OSError:
        logger.error("world-atlas is not installed (%s): maps show no shapes", world_atlas_path())
        empty = {
            "type": "Topology",
            "objects": {"countries": {"type": "GeometryCollection", "geometries": []}},
            "arcs": [],
        }
        return Shapes(empty, (), tuple(sorted(codes)), {})
    by_numeric = {numeric_code(code): code for code in codes}
    by_numeric.pop(None, None)
    kept, old_arcs = [], []
    for geometry in world["objects"]["countries"]["geometries"]:
        code = by_numeric.get(geometry.get("id"))
        if code is None or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        kept.append((code, geometry))
    # Renumber the arcs the kept geometries use (a negative index ~i is arc i reversed).
    index = {}

    def renumber(arc):
        original = ~arc if arc < 0 else arc
        if original not in index:
            index[original] = len(old_arcs)
            old_arcs.append(world["arcs"][original])
        return ~index[original] if arc < 0 else index[original]

    transform = world["transform"]
    renumbered = []
    small, areas = [], {}
    for code, geometry in kept:
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = [_ring(world["arcs"], transform, polygon[0]) for polygon in polygons]
        ring_areas = [_ring_area_km2(ring) for ring in rings]
        # Parts beyond the antimeridian from the country's main part (the western Aleutians,
        # Chukotka) would stretch the map across the whole globe: they are left out.
        main_lon = _centroid(rings[ring_areas.index(max(ring_areas))])[0]
        keep = [abs(_centroid(ring)[0] - main_lon) <= 180 for ring in rings]
        polygons = [polygon for polygon, kept_part in zip(polygons, keep, strict=True) if kept_part]
        rings = [ring for ring, kept_part in zip(rings, keep, strict=True) if kept_part]
        ring_areas = [area for area, kept_part in zip(ring_areas, keep, strict=True) if kept_part]
        renumbered.append(
            [[[renumber(arc) for arc in ring] for ring in polygon] for polygon in polygons]
        )
        area = sum(ring_areas)
        areas[code] = round(area)
        if area < SMALL_STATE_KM2:
            lon, lat = _centroid(rings[ring_areas.index(max(ring_areas))])
            small.append({"code": code, "lon": round(lon, 3), "lat": round(lat, 3)})
    arcs = _simplify(old_arcs, transform)
    geometries = []
    for (code, geometry), polygons in zip(kept, renumbered, strict=True):
        # A ring that simplification collapsed or turned inside out would fill the globe.
        polygons = [
            [ring for ring in polygon if _ring_survives(old_arcs, arcs, ring)]
            for polygon in polygons
            if _ring_survives(old_arcs, arcs, polygon[0])
        ]
        if polygons:
            geometries.append(
                {
                    "type": "MultiPolygon",
                    "id": geometry["id"],
                    "properties": {"code": code},
                    "arcs": polygons,
                }
            )
    topology = {
        "type": "Topology",
        "transform": transform,
        "objects": {"countries": {"type": "GeometryCollection", "geometries": geometries}},
        "arcs": arcs,
    }
    drawn = {code for code, _geometry in kept}
    return Shapes(
        topology, tuple(sorted(small, key=lambda m: m["code"])), tuple(sorted(codes - drawn)), areas
    )


def country_shapes(codes) -> Shapes:
    """The shapes of ``codes`` (ISO alpha-2), cached per set of codes."""
    return _shapes(frozenset(code for code in codes if code))


def _simplify(arcs, transform):
    """Drop points closer than 1/SIMPLIFY_FRACTION of the map's extent to the last kept one.

    Arcs keep their end points, so countries sharing a border still meet. The result is
    about a fifth of the 1:50m data and looks the same at a region's scale.
    """
    absolute = []
    for arc in arcs:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x, y))
        absolute.append(points)
    xs = [x for points in absolute for x, _y in points]
    ys = [y for points in absolute for _x, y in points]
    if not xs:
        return []
    extent = max(
        (max(xs) - min(xs)) * transform["scale"][0], (max(ys) - min(ys)) * transform["scale"][1]
    )
    tolerance = extent / SIMPLIFY_FRACTION  # degrees
    tx, ty = tolerance / transform["scale"][0], tolerance / transform["scale"][1]
    simplified = []
    for points in absolute:
        kept = [points[0]]
        for point in points[1:-1]:
            last = kept[-1]
            if abs(point[0] - last[0]) >= tx or abs(point[1] - last[1]) >= ty:
                kept.append(point)
        if len(points) > 1:
            kept.append(points[-1])
        deltas, previous = [], (0, 0)
        for point in kept:
            deltas.append([point[0] - previous[0], point[1] - previous[1]])
            previous = point
        simplified.append(deltas)
    return simplified


_UNIT = {"scale": [1, 1], "translate": [0, 0]}


def _signed_area(points):
    return sum(
        x1 * y2 - x2 * y1
        for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True)
    )


def _ring_survives(original_arcs, simplified_arcs, ring_arcs):
    """Whether a ring still has an area, with its original orientation, once simplified."""
    simplified = _ring(simplified_arcs, _UNIT, ring_arcs)
    if len(set(simplified)) < 3:
        return False
    before = _signed_area(_ring(original_arcs, _UNIT, ring_arcs))
    after = _signed_area(simplified)
    return after != 0 and (after > 0) == (before > 0)


def _arc_points(arcs, transform, arc):
    points, x, y = [], 0, 0
    for dx, dy in arcs[~arc if arc < 0 else arc]:
        x, y = x + dx, y + dy
        points.append(
            (
                x * transform["scale"][0] + transform["translate"][0],
                y * transform["scale"][1] + transform["translate"][1],
            )
        )
    return points[::-1] if arc < 0 else points


def _ring(arcs, transform, ring_arcs):
    points = []
    for arc in ring_arcs:
        arc_points = _arc_points(arcs, transform, arc)
        points.extend(arc_points[1:] if points else arc_points)
    return points


def _ring_area_km2(ring):
    """Area of a lon/lat ring on the sphere (the formula of d3-geo / geojson-area)."""
    total = 0.0
    for (lon1, lat1), (lon2, lat2) in zip(ring, ring[1:] + ring[:1], strict=True):
        total += math.radians(lon2 - lon1) * (
            2 + math.sin(math.radians(lat1)) + math.sin(math.radians(lat2))
        )
    return abs(total) * EARTH_RADIUS_KM**2 / 2


def _centroid(ring):
    """Centroid of a small ring in lon/lat (planar is exact enough for a marker)."""
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if abs(area) < 1e-12:
        xs, ys = zip(*ring, strict=True)
        return sum(xs) / len(xs), sum(ys) / len(ys)
    return cx / (3 * area), cy / (3 * area)


def country_map(
    rows,
    *,
    value,
    value_title,
    domain,
    colors,
    tooltip=(),
    title="",
    description="",
    width=WIDTH,
    height=HEIGHT,
):
    """A map of the countries in ``rows`` (dicts with ``code``), coloured by ``rows[value]``.

    ``domain`` and ``colors`` fix the legend's order and colours; ``tooltip`` lists
    ``(key, title)`` pairs shown on hover (the value is always shown). Returns a
    ``CountryMap``; ``charts.Chart(..., datasets=map.datasets)`` puts the shapes in the spec.
    """
    import altair as alt

    shapes = country_shapes(row["code"] for row in rows)
    by_code = {row["code"]: row for row in rows}
    fields = [key for key, _title in tooltip]
    color = alt.Color(
        f"{value}:N",
        title=str(value_title),
        scale=alt.Scale(domain=[str(item) for item in domain], range=list(colors)),
        legend=alt.Legend(orient="bottom", direction="horizontal"),
    )
    tooltips = [alt.Tooltip(f"{key}:N", title=str(label)) for key, label in tooltip]
    tooltips.append(alt.Tooltip(f"{value}:N", title=str(value_title)))
    # The shapes go into the spec's "datasets" after Altair has built it (see CountryMap):
    # Altair would spend half a second walking 100 kB of TopoJSON on every page.
    shape_layer = (
        alt.Chart(
            alt.Data(
                name=SHAPES_DATASET, format=alt.DataFormat(type="topojson", feature="countries")
            )
        )
        .mark_geoshape(stroke="#ffffff", strokeWidth=0.5)
        .transform_lookup(
            lookup="properties.code",
            from_=alt.LookupData(alt.Data(values=list(rows)), key="code", fields=[*fields, value]),
        )
        .encode(color=color, tooltip=tooltips)
    )
    markers = [{**by_code[marker["code"]], **marker} for marker in shapes.small]
    marker_layer = (
        alt.Chart(alt.Data(values=markers))
        .mark_circle(size=70, stroke="#212529", strokeWidth=0.8, opacity=1)
        .encode(longitude="lon:Q", latitude="lat:Q", color=color, tooltip=tooltips)
    )
    chart = alt.layer(shape_layer, marker_layer).properties(
        width=width,
        height=height,
        projection=alt.Projection(type="equalEarth"),
    )
    if title:
        chart = chart.properties(title=str(title))
    if description:
        chart = chart.properties(description=str(description))
    return CountryMap(chart, {SHAPES_DATASET: shapes.topology}, shapes)


@dataclass(frozen=True)
class CountryMap:
    """A map: the Altair chart, the datasets to add to its spec, the shapes it draws."""

    chart: object
    datasets: dict
    shapes: Shapes
