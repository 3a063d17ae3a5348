"""Start-up time of the ``learn`` command, whole process as a user runs it, beside other geospatial CLIs.

Each command is run ``--repeat`` times in a fresh process; the median wall time is kept (the first run of a
command also warms the OS file cache, so it is run once untimed). Peers on the same machine in the same run:
``rio --help`` (rasterio's CLI) and ``python -c "import geopandas"`` (what ``learn`` avoids importing before it
parses a flag). Example::

    python -m benchmarks.startup --json startup.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def commands() -> dict[str, list[str]]:
    py = sys.executable
    return {
        "learn --help": [str(BIN / "learn"), "--help"],
        "learn catalog": [str(BIN / "learn"), "catalog", "--catalog", str(ROOT / "data_catalog.yaml")],
        "python -c 'import learn'": [py, "-c", "import learn"],
        "python -c 'import learn.pipeline.batch'": [py, "-c", "import learn.pipeline.batch"],
        "rio --help (rasterio, peer)": [str(BIN / "rio"), "--help"],
        "python -c 'import geopandas' (peer floor)": [py, "-c", "import geopandas"],
        "python -c pass (interpreter floor)": [py, "-c", "pass"],
    }


def time_command(argv: list[str], repeat: int) -> dict[str, float | int | str]:
    subprocess.run(argv, capture_output=True, check=False)  # warm the file cache
    times, code = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
        code = done.returncode
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "exit_code": code}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--json", type=Path, help="also write the results here")
    args = p.parse_args(argv)
    load = os.getloadavg()[0]
    if load > 0.5:
        print(f"warning: 1-min load average {load:.2f}: timings on a busy machine run long", file=sys.stderr)
    results = {name: time_command(cmd, args.repeat) for name, cmd in commands().items()}
    print(f"{'command':44s} {'median':>8s} {'min':>8s} {'max':>8s}")
    for name, r in results.items():
        print(f"{name:44s} {r['median_s']:8.3f} {r['min_s']:8.3f} {r['max_s']:8.3f}  (exit {r['exit_code']})")
    if args.json:
        doc = {"load_average_1min": load, "repeat": args.repeat, "results": results}
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
