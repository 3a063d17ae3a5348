"""Geometry repair never changes the boundary's area beyond REPAIR_TOLERANCE (docs/method.md §1.5)."""

from __future__ import annotations

import math

import pytest
import shapely
from pyproj import CRS

from learn.errors import BoundaryError
from learn.sources.boundaries import REPAIR_TOLERANCE, boundary_from_geometry, intended_area, repair

SQUARE = [(0, 0), (10, 0), (10, 10), (0, 10)]


def test_a_hole_that_encloses_its_shell_is_refused():
    around = [(-50, -50), (50, -50), (50, 50), (-50, 50)]
    with pytest.raises(BoundaryError, match="a hole encloses its shell"):
        repair(shapely.Polygon(SQUARE, [around]), "x")


def test_a_hole_outside_its_shell_is_refused():
    beside = [(20, 0), (25, 0), (25, 5), (20, 5)]
    with pytest.raises(BoundaryError, match="a hole lies outside its shell"):
        repair(shapely.Polygon(SQUARE, [beside]), "x")


def test_overlapping_holes_and_overlapping_parts_are_refused():
    holes = [[(1, 1), (6, 1), (6, 6), (1, 6)], [(4, 4), (9, 4), (9, 9), (4, 9)]]
    with pytest.raises(BoundaryError, match="holes of one polygon overlap"):
        repair(shapely.Polygon(SQUARE, holes), "x")
    parts = shapely.MultiPolygon([shapely.Polygon(SQUARE), shapely.box(5, 0, 15, 10)])
    with pytest.raises(BoundaryError, match="parts of the multipolygon overlap"):
        repair(parts, "x")


def test_a_bow_tie_is_repaired_into_its_two_lobes():
    bow = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    fixed, repaired = repair(bow, "x")
    assert repaired and fixed.is_valid and fixed.area == pytest.approx(2.0)
    assert intended_area(bow) == pytest.approx(2.0)


def test_a_hole_grazing_its_shell_is_repaired_within_the_tolerance():
    graze = [(1, 1), (10.001, 1), (10.001, 2), (1, 2)]  # crosses the shell by a sliver
    polygon = shapely.Polygon(SQUARE, [graze])
    fixed, repaired = repair(polygon, "x")
    assert repaired and fixed.is_valid
    assert abs(fixed.area - intended_area(polygon)) <= REPAIR_TOLERANCE * intended_area(polygon)


def test_the_api_path_refuses_the_audit_ring_case():
    # A 364 ha shell whose hole encloses it (the API body of the audit's F2 reproduction).
    shell = [(-75.22, 42.64), (-75.2, 42.64), (-75.2, 42.66), (-75.22, 42.66), (-75.22, 42.64)]
    hole = [(-75.3, 42.58), (-75.12, 42.58), (-75.12, 42.72), (-75.3, 42.72), (-75.3, 42.58)]
    with pytest.raises(BoundaryError, match="encloses its shell"):
        boundary_from_geometry(
            shapely.Polygon(shell, [hole]), CRS.from_epsg(4326), CRS.from_epsg(5070), id_="p", name="p"
        )


def test_non_finite_vertices_are_refused_with_a_message():
    for bad in (math.nan, math.inf):
        with pytest.raises(BoundaryError, match="not finite"):
            repair(shapely.Polygon([(0, 0), (bad, 0), (1, 1), (0, 1)]), "x")
