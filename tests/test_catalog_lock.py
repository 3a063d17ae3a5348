"""R2 (issue 21): writers of one catalog in several processes lose no region; one data folder is fetched by one
process at a time; a lock dies with its holder.

The audit's cases: three processes adding 15 regions each kept 15-17 of 45; two ``learn fetch`` runs at once
both exited 0 and one region was gone. Here the writers are real processes (``subprocess``) started together,
and the fetches run against the real HTTP server of :mod:`test_fetch` (real NLCD clips of Northampton, MA).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import REPO, run_cli
from range_server import RangeServer, serve_directory
from test_fetch import FETCH_ARGS, OUTLINE, _catalog_copy, build_public_sources

from learn.sources.catalog import load_catalog
from learn.sources.locking import Busy, exclusive, fetch_lock_path
from learn.util import cache_root

WRITER = """
import sys
from pathlib import Path
from learn.sources.catalog_edit import upsert_region
cat, prefix, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(n):
    entry = {"description": f"{prefix} {i}",
             "layers": {"land_cover": {"path": "lc_{year}.tif", "years": [2011, 2019]}},
             "boundaries": {"path": "b.gpkg", "id_field": "GEOID", "name_field": "NAME"}}
    upsert_region(cat, f"{prefix}_{i}", entry)
"""


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "LEARN_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(REPO)}


SMALL_CATALOG = """\
# A small catalog: its comments must survive every edit.
datasets:
  nlcd:
    title: "NLCD land cover"  # quoted as written
    href: "https://example.org/nlcd_{year}.tif"
    kind: categorical
    license: public domain
    citation: USGS
regions:
  first:
    description: "there before"
    layers:
      land_cover: {path: "lc_{year}.tif", years: [2011, 2019]}
    boundaries: {path: b.gpkg, id_field: GEOID}
"""


def test_three_processes_adding_15_regions_each_keep_all_45(tmp_path: Path) -> None:
    cat = tmp_path / "catalog.yaml"
    cat.write_text(SMALL_CATALOG)
    before = set(load_catalog(cat).regions)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(cat), p, "15"], env=_env(tmp_path), stderr=subprocess.PIPE
        )
        for p in ("A", "B", "C")
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()
    added = set(load_catalog(cat).regions) - before
    assert added == {f"{p}_{i}" for p in "ABC" for i in range(15)}
    text = cat.read_text()
    assert "# A small catalog" in text and "# quoted as written" in text and "first" in before


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RangeServer]:
    root = tmp_path_factory.mktemp("www")
    build_public_sources(root)
    with serve_directory(root) as srv:
        yield srv


def test_two_learn_fetch_runs_at_once_into_one_catalog_keep_both_regions(
    server: RangeServer, tmp_path: Path
) -> None:
    cat = _catalog_copy(tmp_path / "project", f"{server.url}/e2e")
    learn_bin = Path(sys.executable).with_name("learn")
    args = ["fetch", "--boundary-file", str(OUTLINE), *FETCH_ARGS, "--catalog", str(cat)]
    procs = {
        r: subprocess.Popen(
            [str(learn_bin), *args, "--region-name", r],
            env=_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for r in ("r1", "r2")
    }
    for r, p in procs.items():
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, (r, err.decode())
    regions = yaml.safe_load(cat.read_text())["regions"]
    assert {"r1", "r2"} <= set(regions)
    for r in ("r1", "r2"):
        assert regions[r]["layers"]["land_cover"]["path"] == f"data/{r}/land_cover_{{year}}.tif"
        assert (tmp_path / "project" / "data" / r / "manifest.json").exists()


def test_a_data_folder_being_fetched_is_refused_to_a_second_fetch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEARN_CACHE_DIR", str(tmp_path / "cache"))
    cat = _catalog_copy(tmp_path / "project", "http://127.0.0.1:9")  # never reached
    data = (tmp_path / "project" / "data" / "twice").resolve()
    with exclusive(data, what="x", lock_file=fetch_lock_path(data, cache_root())):  # another fetch holds it
        code, _, err = run_cli(
            [
                "fetch",
                "--boundary-file",
                str(OUTLINE),
                *FETCH_ARGS,
                "--region-name",
                "twice",
                "--catalog",
                str(cat),
            ],
            monkeypatch,
            capsys,
        )
    text = " ".join(err.split())
    assert (
        code == 2
        and f"the data folder {data} (another learn fetch) is in use by process {os.getpid()}" in text
    )
    assert "wait for that process to finish" in text and not (tmp_path / "project" / "data").exists()


HOLDER = """
import sys, time
from learn.sources.locking import exclusive
with exclusive(sys.argv[1], what="x"):
    print("locked", flush=True)
    time.sleep(600)
"""


def test_a_lock_is_released_when_its_holder_is_killed(tmp_path: Path) -> None:
    target = tmp_path / "catalog.yaml"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(target)], env=_env(tmp_path), stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        t0 = time.monotonic()
        with (
            pytest.raises(Busy, match=rf"in use by process {holder.pid} .*waited 0.3 s"),
            exclusive(target, what=f"the catalog {target}", wait_s=0.3),
        ):
            pass
        assert 0.3 <= time.monotonic() - t0 < 2
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    with exclusive(target, what="the catalog", wait_s=5) as lock:  # the kernel released the dead one's lock
        assert lock == tmp_path / ".catalog.yaml.lock"
