"""`learn batch` on an output folder it cannot write: refused before the raster pass; a full disk while
writing is a message naming the file (exit 2, no traceback) and a rerun resumes from the reports kept."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import TOF_DEFAULT, forest_table, pixel_box, run_cli
from pyogrio.errors import DataSourceError

import learn.pipeline.batch as batch_mod


@pytest.fixture
def region(make_region, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LEARN_CACHE_DIR", str(tmp_path / "cache"))
    lc = [[41, 41, 82], [41, 90, 82]]
    return make_region(
        {2011: lc, 2019: [[21, 41, 82], [41, 90, 41]]},
        codes=[[7, 7, 0], [7, 7, 7]],
        carbon=(np.full((2, 3), 100.0), np.full((2, 3), 20.0), np.full((2, 3), 50.0)),
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
        tof_rows=TOF_DEFAULT,
        boundaries=[(b, b, pixel_box(0, i, 2, i + 1)) for i, b in enumerate("ABC")],
    )


def _args(cat: Path, out: Path) -> list[str]:
    return ["batch", "--catalog", str(cat), "-r", "t", "--years", "2011", "2019", "--out", str(out)]


def _refused(args: list[str], monkeypatch, capsys) -> str:
    code, out, err = run_cli(args, monkeypatch, capsys)
    assert code == 2, out + err
    assert "Traceback" not in out + err
    return " ".join(err.split())  # rich wraps long lines


@pytest.fixture
def no_raster_pass(monkeypatch):
    monkeypatch.setattr(batch_mod, "reduce", lambda *a, **k: pytest.fail("the raster pass ran"))


def test_an_output_path_inside_a_file_is_refused_before_the_raster_pass(
    region, tmp_path, monkeypatch, capsys, no_raster_pass
):
    (tmp_path / "a_file").write_text("not a folder")
    err = _refused(_args(region, tmp_path / "a_file" / "out"), monkeypatch, capsys)
    assert f"cannot write {tmp_path / 'a_file' / 'out'}" in err and "Not a directory" in err
    assert "is a file, not a folder" in err


def test_a_read_only_output_folder_is_refused_before_the_raster_pass(
    region, tmp_path, monkeypatch, capsys, no_raster_pass
):
    out = tmp_path / "ro"
    out.mkdir()

    def read_only(*args, dir=None, **kwargs):  # what a read-only mount answers (root ignores chmod)
        if dir is not None and Path(dir).is_relative_to(out):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_mkstemp(*args, dir=dir, **kwargs)

    real_mkstemp = tempfile.mkstemp
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    err = _refused(_args(region, out), monkeypatch, capsys)
    assert "cannot write" in err and "Read-only file system" in err
    assert "choose an output folder you can write to" in err
    assert not list(out.rglob("*.json"))


def test_a_full_disk_while_writing_reports_is_a_message_and_the_rerun_resumes(
    region, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "b"
    real_write = batch_mod.write_text_atomic
    written = {"reports": 0}

    def filling_write(path, text):
        if path.parent.name == "2011_2019":
            written["reports"] += 1
            if written["reports"] == 3:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(path, text)

    monkeypatch.setattr(batch_mod, "write_text_atomic", filling_write)
    err = _refused(_args(region, out), monkeypatch, capsys)
    assert "cannot write" in err and "2011_2019" in err and "No space left on device" in err
    assert "free space on that disk" in err
    monkeypatch.setattr(batch_mod, "write_text_atomic", real_write)
    code, _, err = run_cli(_args(region, out), monkeypatch, capsys)
    assert code == 0 and "1 reports computed, 2 reused" in err


def test_a_geopackage_that_cannot_be_committed_is_a_message(region, tmp_path, monkeypatch, capsys):
    import geopandas as gpd

    def full_disk(self, path, *args, **kwargs):
        raise DataSourceError("Failed to commit transaction")

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", full_disk)
    err = _refused(_args(region, tmp_path / "b"), monkeypatch, capsys)
    assert "boundaries.gpkg" in err and "Failed to commit transaction" in err
    assert not list((tmp_path / "b").glob("*.gpkg")) and not list((tmp_path / "b").rglob(".tmp-*"))
