"""The raster pass in a forked child (learn.raster.worker, what `learn batch` uses): the same stratum table as in
process, bit for bit; progress forwarded; and the pass run in process when the child is gone or the job fails."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import ORIGIN, PIXEL, run_cli
from rasterio.crs import CRS
from test_engine import TRANSFORM, _random_layers, _write_layers

from learn.errors import RasterError
from learn.raster import worker
from learn.raster.engine import ReductionJob, grid_windows, reduce
from learn.raster.grid import Grid
from learn.raster.zones import GeometryZones


@pytest.fixture
def job_windows(tmp_path):
    h, w = 64, 64
    base = _write_layers(tmp_path, _random_layers(7, h, w))
    x0, y0 = ORIGIN
    geoms = [
        shapely.Point(x0 + 20 * PIXEL, y0 - 20 * PIXEL).buffer(15 * PIXEL),
        shapely.Point(x0 + 40 * PIXEL, y0 - 40 * PIXEL).buffer(20 * PIXEL),
    ]
    job = ReductionJob(**{**base.__dict__, "zones": GeometryZones(geoms, ["a", "b"])})
    return job, grid_windows(Grid(CRS.from_epsg(5070), TRANSFORM, w, h), block=16)


def test_child_gives_the_in_process_table_and_forwards_progress(job_windows):
    job, windows = job_windows
    here = reduce(job, windows, workers=2)
    seen: list[tuple[int, int]] = []
    with worker.RasterProcess() as child:
        there = child.reduce(job, windows, workers=2, progress=lambda i, n: seen.append((i, n)))
        assert child.fell_back is None
        again = child.reduce(job, windows[:3], workers=1)  # a second pass in the same child
    pd.testing.assert_frame_equal(here, there, rtol=0, atol=0)
    pd.testing.assert_frame_equal(reduce(job, windows[:3], workers=1), again, rtol=0, atol=0)
    assert seen and seen[-1][0] == seen[-1][1] and len(seen) == seen[-1][1]


def test_a_dead_child_means_the_pass_runs_in_process(job_windows):
    job, windows = job_windows
    with worker.RasterProcess() as child:
        os.kill(child._process.pid, signal.SIGKILL)
        child._process.join()
        table = child.reduce(job, windows, workers=1)
        assert child.fell_back is not None
    pd.testing.assert_frame_equal(table, reduce(job, windows, workers=1), rtol=0, atol=0)


def test_a_failing_pass_raises_the_in_process_error(job_windows, tmp_path):
    job, windows = job_windows
    broken = ReductionJob(
        **{**job.__dict__, "land_cover": (str(tmp_path / "missing.tif"), job.land_cover[1])}
    )
    with pytest.raises(RasterError, match=r"missing\.tif"), worker.RasterProcess() as child:
        try:
            child.reduce(broken, windows, workers=1)
        finally:
            assert child.fell_back is not None and "missing.tif" in child.fell_back


def test_switched_off_by_the_environment_or_other_threads(monkeypatch):
    monkeypatch.setenv(worker.ENV_SWITCH, "1")
    monkeypatch.setattr(worker.threading, "active_count", lambda: 2)
    assert not worker.available()  # another thread could hold a lock the child would wait on
    monkeypatch.setattr(worker.threading, "active_count", lambda: 1)
    monkeypatch.setattr(worker.os, "cpu_count", lambda: 2)
    assert worker.available() == worker.sys.platform.startswith("linux")
    monkeypatch.setenv(worker.ENV_SWITCH, "0")
    assert not worker.available() and worker.start() is None


def test_cli_batch_with_the_child_equals_run_batch_in_process(demo_catalog, tmp_path, monkeypatch, capsys):
    """`learn batch` (raster pass in the child) writes the very reports of run_batch in process."""
    import learn
    from learn.pipeline.batch import run_batch

    monkeypatch.setenv("LEARN_CACHE_DIR", str(tmp_path / "cache"))
    started: list[worker.RasterProcess] = []
    # The test process may run other threads (servers of other tests): start the child regardless.
    monkeypatch.setattr(worker, "start", lambda: started.append(worker.RasterProcess()) or started[-1])
    args = ["batch", "--catalog", str(demo_catalog), "--region", "demo", "--years", "2011", "2019"]
    code, _, err = run_cli([*args, "--formats", "csv", "--out", str(tmp_path / "cli")], monkeypatch, capsys)
    assert code == 0, err
    assert len(started) == 1 and started[0].fell_back is None  # the pass ran in the child
    run_batch(learn.open_region("demo", demo_catalog), [(2011, 2019)], tmp_path / "here", formats="csv")
    cli, here = sorted((tmp_path / "cli" / "2011_2019").glob("*.json")), (tmp_path / "here" / "2011_2019")
    assert cli and [p.name for p in cli] == sorted(p.name for p in here.glob("*.json"))
    for path in cli:
        assert json.loads(path.read_text()) == json.loads((here / path.name).read_text())
    a, b = (pd.read_csv(tmp_path / d / "inventory.csv") for d in ("cli", "here"))
    pd.testing.assert_frame_equal(a, b, rtol=0, atol=0)
    assert np.isfinite(a.select_dtypes("number").to_numpy(float)).any()
