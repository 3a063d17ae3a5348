"""The researchers' notebooks run top to bottom in a fresh kernel on the SYNTHETIC demo, offline.

Each notebook prints its key numbers with full precision (``repr``); the tests read them back and compare them
with the library computed here, and check the files the notebooks save (maps, charts).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest
from notebook_runner import NOTEBOOKS, execute_notebook, output_text

import learn
from learn.analyses.sensitivity import AccountingStage
from learn.pipeline.region import Region
from learn.report.models import Report

PERIOD = (2011, 2019)
NUMBER = r"(-?[0-9.]+(?:e[-+]?\d+)?)"


@pytest.fixture(scope="module")
def region(demo_catalog: Path) -> Region:
    return learn.open_region("demo", catalog=demo_catalog)


@pytest.fixture(scope="module")
def alder(region: Region) -> Report:
    return region.inventory("99001", PERIOD)


def run(name: str, demo_catalog: Path, out: Path) -> tuple[str, float]:
    t0 = time.perf_counter()
    nb = execute_notebook(
        NOTEBOOKS / name, env={"LEARN_CATALOG": str(demo_catalog), "LEARN_NOTEBOOK_OUT": str(out)}
    )
    seconds = time.perf_counter() - t0
    assert seconds < 60, f"{name} took {seconds:.0f} s"
    return output_text(nb), seconds


@pytest.mark.parametrize(
    "name", ["01_quickstart.ipynb", "02_all_boundaries.ipynb", "04_sensitivity.ipynb", "05_pathways.ipynb"]
)
def test_committed_notebooks_have_no_outputs_and_say_synthetic(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(
        not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code"
    )
    assert "SYNTHETIC" in nb.cells[0].source and "LEARN_CATALOG" in "".join(c.source for c in nb.cells)


def test_quickstart(demo_catalog: Path, tmp_path: Path, alder: Report) -> None:
    text, _ = run("01_quickstart.ipynb", demo_catalog, tmp_path)
    net = float(re.search(rf"net flux: {NUMBER} t CO2e/yr", text).group(1))  # type: ignore[union-attr]
    assert net == pytest.approx(alder.totals.net_t_co2e_per_yr, rel=1e-12)
    assert "SYNTHETIC DATA" in text
    # the DataArray of the change matrix was shown, and its total matches the report
    assert "class_start" in text and "class_end" in text
    assert f"matrix total: {alder.change_matrix.total_ha:,.2f} ha" in text
    html = (tmp_path / "01_quickstart_map.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 3  # land cover ×2, forest change
    assert "Alder County" in html and "Forest → Settlement" in html


def test_all_boundaries(demo_catalog: Path, tmp_path: Path, region: Region, alder: Report) -> None:
    text, _ = run("02_all_boundaries.ipynb", demo_catalog, tmp_path)
    nets = {
        (b, int(s), int(e)): float(v) for b, s, e, v in re.findall(rf"net (\d+) (\d+)-(\d+): {NUMBER}", text)
    }
    assert len(nets) == 2 * len(region.boundaries.ids())
    assert nets[("99001", *PERIOD)] == pytest.approx(alder.totals.net_t_co2e_per_yr, rel=1e-12)
    early = region.inventory("9900100", (2001, 2011))
    assert nets[("9900100", 2001, 2011)] == pytest.approx(early.totals.net_t_co2e_per_yr, rel=1e-12)
    choropleth = (tmp_path / "02_net_per_ha_map.html").read_text(encoding="utf-8")
    assert all(name in choropleth for name in region.boundaries.frame["name"])
    sankey = (tmp_path / "02_sankey.html").read_text(encoding="utf-8")
    assert '"type":"sankey"' in sankey.replace(" ", "")
    assert (
        not re.search(r"<script[^>]*src=", sankey) and len(sankey) > 1_000_000
    )  # plotly.js embedded, no CDN
    assert (tmp_path / "02_flux_by_category.png").stat().st_size > 10_000


def test_sensitivity(demo_catalog: Path, tmp_path: Path, region: Region, alder: Report) -> None:
    text, _ = run("04_sensitivity.ipynb", demo_catalog, tmp_path)
    base = float(re.search(rf"base net flux: {NUMBER}", text).group(1))  # type: ignore[union-attr]
    assert base == pytest.approx(alder.totals.net_t_co2e_per_yr, rel=1e-12)
    stage = AccountingStage.compute(region, "99001", PERIOD)
    want = stage.factor_sensitivity(0.1).set_index("factor")["change_plus_t_co2e_per_yr"]
    got = {f: float(v) for f, v in re.findall(rf"sensitivity (\w+): {NUMBER}", text)}
    assert set(got) == set(want.index)
    for factor, value in got.items():
        assert value == pytest.approx(want[factor], rel=1e-9, abs=1e-6), factor
    places = re.findall(rf"tof (\w+) ?(.*?): {NUMBER}", text)
    tof = region.tof_factors
    assert tof is not None and len(places) == 1 + len(tof.table)
    assert (tmp_path / "04_tornado.png").stat().st_size > 10_000


def test_pathways(demo_catalog: Path, tmp_path: Path, region: Region) -> None:
    text, _ = run("05_pathways.ipynb", demo_catalog, tmp_path)
    plan = {
        "name": "Protect and plant",
        "measures": [
            {"avoid_forest_conversion": {"share": 0.5, "from": 2025}},
            {"reforest": {"ha_per_yr": 10, "from": 2025, "to": 2034}},
            {"canopy_goal": {"percent": 40, "by": 2040}},
            {"protect_canopy": {"share": 0.5, "from": 2025}},
        ],
    }
    p = region.pathways("99001", to=2050, scenarios=[plan])
    got = {name: float(v) for name, v in re.findall(rf"cumulative (.+?): {NUMBER}", text)}
    assert got == {s.name: pytest.approx(s.cumulative_net_t_co2e["2050"], rel=1e-12) for s in p.scenarios}
    avoided = float(re.search(rf"avoided by 2050: {NUMBER}", text).group(1))  # type: ignore[union-attr]
    assert avoided == pytest.approx(p.scenarios[1].reduction_vs_bau_t_co2e["2050"], rel=1e-12) and avoided > 0
    assert "SYNTHETIC" in text
    assert (tmp_path / "05_pathways.png").stat().st_size > 10_000
