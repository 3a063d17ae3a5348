"""Help readable at 80 columns: every option name whole, every format list complete, no line wider than the
terminal, no word cut (the help text of each option reads back whole once lines are joined), and one cache
folder for everything learn caches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from conftest import run_cli

from learn.cli import app
from learn.pipeline.batch_files import PER_BOUNDARY_FORMATS
from learn.pipeline.batch_tables import TABLE_FORMATS
from learn.report.export import FORMATS

COMMANDS = [["batch"], ["fetch"], ["factors", "fia"], ["inventory"], ["catalog"], ["demo"], ["serve"]]
#: Every list of names a user must be able to read in full: command → the lists.
LISTS = {
    "batch": [", ".join(TABLE_FORMATS), ", ".join(PER_BOUNDARY_FORMATS), "letter or a4"],
    "inventory": [" | ".join(["json", "csv (LEARN 4 tables)", "tidy-csv", "xlsx"])],
}


def _command(path: list[str]) -> Any:
    """The command object typer builds (its own click: a group has ``commands``)."""
    cmd: Any = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]
    return cmd


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_reads_whole_at_80_columns(path: list[str], monkeypatch, capsys) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli([*path, "--help"], monkeypatch, capsys)
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out
    shown = words(out)
    for param in _command(path).params:
        for name in [*param.opts, *param.secondary_opts]:
            assert name in out.split() or f"{name}," in out.split(), name  # whole, as its own word
        help_text = getattr(param, "help", None)
        if help_text:
            assert words(help_text) in shown, (param.name, help_text)  # wrapped at spaces only
    docstring = _command(path).help or ""
    for paragraph in docstring.split("\n\n"):
        assert words(paragraph) in shown  # sentences run on: no line break kept from the source
    for listed in LISTS.get(path[0], []):
        assert listed in shown, listed
    assert set(FORMATS) <= set(PER_BOUNDARY_FORMATS)  # --per-boundary offers learn inventory's formats


def test_the_command_list_shows_whole_descriptions_at_80_columns(monkeypatch, capsys) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run_cli(["--help"], monkeypatch, capsys)
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 80
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ") and line.split()}
    for name in ("catalog", "fetch", "inventory", "batch", "serve", "factors"):
        assert not lines[name].endswith("..."), lines[name]  # click cuts a description too long for the line


def test_one_cache_folder_and_the_old_zone_cache_moves_into_it(tmp_path: Path, monkeypatch) -> None:
    from learn.pipeline.batch import cache_dir
    from learn.sources.fia import download as fia_download
    from learn.util import cache_root

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("LEARN_CACHE_DIR", raising=False)
    root = tmp_path / "home" / ".cache" / "learn-navigator"
    legacy = tmp_path / "home" / ".cache" / "learn" / "zones"
    legacy.mkdir(parents=True)
    (legacy / "zones_abc.tif").write_bytes(b"cached")
    assert cache_root() == root
    assert fia_download.cache_root is cache_root  # the zones and the FIA downloads share the one rule
    assert cache_dir() == root / "zones"
    assert (root / "zones" / "zones_abc.tif").read_bytes() == b"cached"
    assert not (tmp_path / "home" / ".cache" / "learn").exists()  # moved, the empty old folder removed
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "learn-navigator"
    monkeypatch.setenv("LEARN_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine" / "zones" and cache_root() == tmp_path / "mine"
