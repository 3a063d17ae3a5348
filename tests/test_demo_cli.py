"""`learn demo` as a newcomer runs it (issue 26 item 6 and the demo's interval): its summary table shows each
boundary's 90 % interval, `learn --help` lists it whole, and `--port` (`make demo PORT=…`) chooses the port."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from conftest import REPO, run_cli
from rich.console import Console

import learn
from learn.cli.serve import INTERVAL_COLUMN, demo_table


def test_demo_table_shows_the_90_percent_interval(demo_catalog: Path) -> None:
    region = learn.open_region("demo", demo_catalog)
    start, end = region.default_period
    reports = [region.inventory(b, (start, end)) for b in region.boundaries.ids()[:3]]
    console = Console(width=200, record=True)
    console.print(demo_table(reports, start, end))
    text = console.export_text()
    assert INTERVAL_COLUMN in text
    for r in reports:
        lo, hi = r.totals.net_p05_t_co2e_per_yr, r.totals.net_p95_t_co2e_per_yr
        assert lo is not None and hi is not None and lo <= r.totals.net_t_co2e_per_yr <= hi
        line = next(row for row in text.splitlines() if r.boundary.id in row)
        assert f"{lo:,.0f} to {hi:,.0f}" in line, line


def test_demo_serves_on_the_port_asked(demo_catalog: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    served: list[tuple[object, ...]] = []
    monkeypatch.setattr("learn.cli.serve._serve", lambda *a, **k: served.append(a))
    args = ["demo", "--catalog", str(demo_catalog), "--out", str(tmp_path / "o"), "--port", "8123"]
    code, out, err = run_cli(args, monkeypatch, capsys)
    assert code == 0, err
    assert served and served[0][1:] == ("127.0.0.1", 8123)
    assert "90 %" in out


def test_demo_is_listed_whole_in_learn_help(monkeypatch, capsys) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run_cli(["--help"], monkeypatch, capsys)
    assert code == 0
    line = next(row for row in out.splitlines() if re.match(r"\s*demo\s", row))
    assert "..." not in line and "…" not in line and line.rstrip().endswith(".")


def test_make_demo_passes_its_port() -> None:
    dry = subprocess.run(
        ["make", "-n", "-W", "install", "demo", "PORT=8123"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert re.search(r"learn demo --port 8123$", dry.stdout, re.M), dry.stdout
