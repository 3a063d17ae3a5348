"""R3, R6 (issue 21): FIA DataMart zips are checked before they are cached, a zip bomb is refused before
anything is inflated, and a full disk is exit 2 naming the path and the space needed, nothing half-written.

A real HTTP server on 127.0.0.1 (:mod:`faulty_http`) serves the made-up FIA tables of :mod:`fia_fixture`
(state RI's code, made-up rows): under ``/good/`` as they are, under ``/bad/`` with ``RI_PLOT.zip`` damaged
(a flipped byte inside its deflate stream: the central directory is intact, ``zipfile.is_zipfile`` accepts
it), under ``/flaky/`` damaged once then whole, under ``/bomb/`` with a 1.5 MB zip holding a 1.5 GB member.
A full disk is the kernel's: ``/dev/full`` (every write fails with ENOSPC) and, where this user may mount
one, a small tmpfs.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, tmpfs_mount
from faulty_http import FaultyServer, serve_faults
from fia_fixture import write_datamart

from learn.errors import OutputError
from learn.sources.fia.download import FIA_TABLES, FiaDownloadError, download_file, download_state_tables
from learn.sources.zip_check import ZipLimits, extract_members, zip_fault
from learn.util import human_bytes

CSV = "/CSV/"
BOMB_BYTES = 1536 << 20  # 1.5 GB of zeros


def damaged(good: bytes) -> bytes:
    """``good`` with one byte of its first member's compressed data flipped (central directory intact)."""
    info = zipfile.ZipFile(io.BytesIO(good)).infolist()[0]
    assert info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size > 8
    name_len, extra_len = (
        int.from_bytes(good[info.header_offset + 26 : info.header_offset + 28], "little"),
        int.from_bytes(good[info.header_offset + 28 : info.header_offset + 30], "little"),
    )
    at = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    bad = bytearray(good)
    bad[at] ^= 0xFF
    return bytes(bad)


def _bomb(path: Path) -> None:
    chunk = bytes(16 << 20)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("RI_PLOT.csv", "w", force_zip64=True) as f,
    ):
        for _ in range(BOMB_BYTES // len(chunk)):
            f.write(chunk)


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("datamart")
    write_datamart(root, "RI", 44)
    out = {t: (root / f"RI_{t}.zip").read_bytes() for t in FIA_TABLES}
    _bomb(root / "bomb.zip")
    out["bomb"] = (root / "bomb.zip").read_bytes()
    return out


@pytest.fixture(scope="module")
def server(tables: dict[str, bytes]) -> Iterator[FaultyServer]:
    routes: dict[str, list[Any]] = {}
    for site in ("good", "bad", "flaky", "bomb"):
        for t in FIA_TABLES:
            routes[f"/{site}{CSV}RI_{t}.zip"] = [tables[t]]
    routes[f"/bad{CSV}RI_PLOT.zip"] = [damaged(tables["PLOT"])]
    routes[f"/flaky{CSV}RI_PLOT.zip"] = [damaged(tables["PLOT"]), tables["PLOT"]]
    routes[f"/bomb{CSV}RI_PLOT.zip"] = [tables["bomb"]]
    with serve_faults(routes) as srv:
        yield srv


def test_the_damaged_zip_passes_is_zipfile_but_not_the_check(
    tables: dict[str, bytes], tmp_path: Path
) -> None:
    bad = tmp_path / "RI_PLOT.zip"
    bad.write_bytes(damaged(tables["PLOT"]))
    assert zipfile.is_zipfile(bad)  # what the download checked before
    fault = zip_fault(bad)
    assert fault is not None and not fault.too_big and "damaged" in fault.reason


def test_a_damaged_download_is_fetched_once_more(
    server: FaultyServer, tables: dict[str, bytes], tmp_path: Path
) -> None:
    target = tmp_path / "RI_PLOT.zip"
    download_file(f"{server.url}/flaky{CSV}RI_PLOT.zip", target)
    assert target.read_bytes() == tables["PLOT"] and server.requests[f"/flaky{CSV}RI_PLOT.zip"] == 2
    assert not list(tmp_path.glob("*.part"))


def _fia(args: list[str], mp: pytest.MonkeyPatch, cap: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code, out, err = run_cli(
        ["factors", "fia", "--state", "RI", "--min-plots", "1", "--no-region", *args], mp, cap
    )
    return code, out, " ".join(err.split())


def test_damaged_twice_is_exit_2_naming_table_url_and_fix_and_a_good_server_then_works(
    server: FaultyServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The audit's case: exit 1 with a zlib.error traceback, and the bad zip reused from the cache for ever."""
    cache, out = tmp_path / "cache", tmp_path / "ri.csv"
    args = ["--out", str(out), "--cache", str(cache)]
    code, _, err = _fia([*args, "--datamart-url", f"{server.url}/bad{CSV}"], monkeypatch, capsys)
    assert code == 2 and "Traceback" not in err, err
    assert f"{server.url}/bad{CSV}RI_PLOT.zip (RI_PLOT) is damaged twice in a row" in err
    assert "hint:" in err and "--datamart-url" in err
    assert server.requests[f"/bad{CSV}RI_PLOT.zip"] == 2
    assert not (cache / "fia" / "RI" / "RI_PLOT.zip").exists() and not list(
        (cache / "fia" / "RI").glob("*.part")
    )
    code, _, err = _fia([*args, "--datamart-url", f"{server.url}/good{CSV}"], monkeypatch, capsys)
    assert code == 0, err
    assert out.exists()


def test_a_damaged_zip_already_in_the_cache_is_downloaded_again(
    server: FaultyServer, tables: dict[str, bytes], tmp_path: Path
) -> None:
    """A cache written before zips were checked may hold a damaged table: it is checked and replaced."""
    folder = tmp_path / "fia" / "RI"
    folder.mkdir(parents=True)
    for t in FIA_TABLES:
        (folder / f"RI_{t}.zip").write_bytes(tables[t])
    (folder / "RI_TREE.zip").write_bytes(damaged(tables["TREE"]))
    got = download_state_tables("RI", tmp_path, base_url=f"{server.url}/good{CSV}")
    assert got.downloaded == ("TREE",) and (folder / "RI_TREE.zip").read_bytes() == tables["TREE"]


def test_a_zip_bomb_is_refused_before_anything_is_inflated(
    server: FaultyServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The audit's 1.5 MB zip holding a 1.5 GB member (it was extracted whole to $TMPDIR)."""
    url = f"{server.url}/bomb{CSV}RI_PLOT.zip"
    t0 = time.monotonic()
    with pytest.raises(FiaDownloadError, match=r"a zip bomb, not a table") as info:
        download_file(url, tmp_path / "RI_PLOT.zip")
    assert time.monotonic() - t0 < 5  # refused from the central directory: 1.5 GB never inflated
    assert "1,536 MB" in info.value.message and "--max-member-mb" in str(info.value.hint)
    assert server.requests[f"/bomb{CSV}RI_PLOT.zip"] == 1  # a limit, not damage: not fetched again
    assert not list(tmp_path.iterdir())
    # The cap is an option: a table over it is refused the same way, with the CLI's exit 2.
    args = ["--out", str(tmp_path / "x.csv"), "--cache", str(tmp_path / "c"), "--max-member-mb", "0.0001"]
    code, _, err = _fia([*args, "--datamart-url", f"{server.url}/good{CSV}"], monkeypatch, capsys)
    assert code == 2 and ".csv would extract to" in err and "over the 104 bytes cap" in err, err
    monkeypatch.setenv("LEARN_FIA_MAX_MEMBER_MB", "0.0001")
    assert ZipLimits.from_env().max_member_bytes == int(0.0001 * 2**20)


def test_a_full_disk_during_a_download_is_exit_2_with_the_space_needed(
    server: FaultyServer, tables: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """The download's file is /dev/full (through a symlink where its .part goes): the kernel's ENOSPC."""
    folder = tmp_path / "cache" / "fia" / "RI"
    folder.mkdir(parents=True)
    part = folder / "RI_PLOT.zip.part"
    part.symlink_to("/dev/full")
    args = ["--out", str(tmp_path / "ri.csv"), "--cache", str(tmp_path / "cache")]
    code, _, err = _fia([*args, "--datamart-url", f"{server.url}/good{CSV}"], monkeypatch, capsys)
    assert code == 2 and "Traceback" not in err, err
    needed = human_bytes(len(tables["PLOT"]))
    assert f"cannot write {part}: No space left on device (needs {needed}, " in err and " free there)" in err
    assert "free space on that disk" in err
    assert not part.exists() and not part.is_symlink() and not (folder / "RI_PLOT.zip").exists()


def test_a_full_disk_during_extraction_names_the_file_and_the_space_needed(
    tables: dict[str, bytes], tmp_path: Path
) -> None:
    zips = []
    for t in ("PLOT", "COND"):
        (tmp_path / f"RI_{t}.zip").write_bytes(tables[t])
        zips.append(tmp_path / f"RI_{t}.zip")
    out = tmp_path / "csv"
    out.mkdir()
    (out / "RI_COND.csv").symlink_to("/dev/full")
    with pytest.raises(
        OutputError, match=r"cannot write .*RI_COND\.csv: No space left on device \(needs"
    ) as info:
        extract_members(zips, out)
    assert "free space" in str(info.value.hint)


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    with tmpfs_mount(tmp_path / "small", "4m") as mnt:
        yield mnt


def test_learn_factors_fia_on_a_full_temporary_disk_says_so_before_writing(
    server: FaultyServer, tmp_path: Path, small_tmpfs: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """The audit's case: $TMPDIR on a small tmpfs gave `OSError: [Errno 28]` as a traceback (exit 1)."""
    monkeypatch.setattr(tempfile, "tempdir", str(small_tmpfs))  # what TMPDIR=<tmpfs> does at start-up
    args = ["--out", str(tmp_path / "ri.csv"), "--cache", str(tmp_path / "cache")]
    code, _, err = _fia([*args, "--datamart-url", f"{server.url}/good{CSV}"], monkeypatch, capsys)
    assert code == 2 and "Traceback" not in err, err
    assert f"cannot write {small_tmpfs}/learn-fia-" in err and "not enough free space (needs" in err
    assert " free there)" in err
    assert os.listdir(small_tmpfs) == [] and not (tmp_path / "ri.csv").exists()
