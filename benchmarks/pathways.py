"""Benchmark: a 2050 pathway with 1,000 draws per boundary once its inventory is cached (issue 24: < 1 s).

    python -m benchmarks.pathways [--repeat 10] [--to 2050] [--draws 1000] [--scenario FILE.yaml] [--json OUT]

In this process, on the SYNTHETIC demo region (``learn demo``'s builder, into ``data/demo`` as
:mod:`benchmarks.conus_projection`), for every demo boundary, BAU and the scenario of
``docs/scenarios/protect_and_plant.yaml`` from the region's default baseline (its latest period):

* **first call** (uncached): :func:`learn.analyses.pathways.baseline.baseline_of` (the baseline's raster pass)
  and :func:`learn.analyses.pathways.run.boundary_pathways` with an empty report cache, which computes the
  reports of the region's other periods (one raster pass each) for the area rates' variability — what the API
  does on the first request for a boundary (``api/pathway_bases.py`` and the report cache);
* **cached**: ``boundary_pathways(..., basis=(report, basis), report_of=<the filled cache>)`` ``--repeat``
  times — what the API does on every later request (the issue's target: < 1 s per boundary);
* ``pathways_from_basis`` alone (the Monte Carlo draws, the engine for BAU and each scenario, the document),
  and the engine's share (``engine.project``, both scenarios).

Wall time (``time.perf_counter``); the first boundary's first call also pays the one-off numba kernel load and
imports of the raster pass. The run warns when the machine is busy (1-min load average > 0.5).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.run import machine

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "docs" / "scenarios" / "protect_and_plant.yaml"
TARGET_S = 1.0


def _stats(times: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(times), 4),
        "min_s": round(min(times), 4),
        "max_s": round(max(times), 4),
    }


class _EngineTimer:
    """``engine.project`` wrapped: adds its wall time to ``seconds[-1]`` (put in ``run``'s namespace)."""

    def __init__(self, project: Any) -> None:
        self.project = project
        self.seconds: list[float] = []

    def __call__(self, *a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        out = self.project(*a, **k)
        self.seconds[-1] += time.perf_counter() - t
        return out


def bench_boundary(
    region: Any, bid: str, baseline: tuple[int, int], scenarios: list[Any], to: int, draws: int, repeat: int
) -> dict[str, Any]:
    """One boundary: its first (uncached) call, ``repeat`` cached calls, ``pathways_from_basis`` alone."""
    import learn.analyses.pathways.run as run
    from learn.analyses.pathways.baseline import baseline_of
    from learn.analyses.pathways.basis import basis_from_report
    from learn.report.models import Report
    from learn.report.trend import MAX_TREND_PERIODS, adjacent_periods

    cache: dict[tuple[int, int], Report] = {}

    def report_of(s: int, e: int) -> Report:
        if (s, e) not in cache:
            cache[(s, e)] = region.inventory(bid, (s, e))
        return cache[(s, e)]

    def pathway(basis: Any) -> Any:
        return run.boundary_pathways(
            region, bid, baseline, to, scenarios, basis=basis, report_of=report_of, draws=draws
        )

    t0 = time.perf_counter()
    basis = baseline_of(region, bid, baseline)
    doc = pathway(basis)
    first = time.perf_counter() - t0
    cached = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        again = pathway(basis)
        cached.append(time.perf_counter() - t0)
    if again.model_dump() != doc.model_dump():
        raise SystemExit(f"boundary {bid}: a cached call gave another document than the first")
    # pathways_from_basis alone, and the engine inside it.
    periods = adjacent_periods(region.land_cover_years)[-MAX_TREND_PERIODS:]
    reports = [basis[0] if pr == tuple(baseline) else cache[pr] for pr in periods]
    rates = [run.baseline_rates(basis_from_report(r, (None, None, None), None, None)) for r in reports]
    from_basis = []
    timer = _EngineTimer(run.project)
    run.project = timer
    try:
        for _ in range(repeat):
            timer.seconds.append(0.0)
            t0 = time.perf_counter()
            alone = run.pathways_from_basis(basis[1], basis[0], scenarios, to, rates, periods, draws)
            from_basis.append(time.perf_counter() - t0)
    finally:
        run.project = timer.project
    if alone.model_dump() != doc.model_dump():
        raise SystemExit(f"boundary {bid}: pathways_from_basis gave another document than boundary_pathways")
    b = basis[1]
    print(
        f"{bid:10s} first {first:7.3f} s   cached median {statistics.median(cached):.4f} s, "
        f"max {max(cached):.4f} s   engine {statistics.median(timer.seconds):.4f} s",
        flush=True,
    )
    return {
        "boundary": bid,
        "name": b.boundary_name,
        "forest_ha": round(b.forest_ha, 1),
        "rate_periods": len(periods),
        "first_call_s": round(first, 4),
        "cached": _stats(cached),
        "pathways_from_basis": _stats(from_basis),
        "engine_project_both_scenarios": _stats(timer.seconds),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.pathways", description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=10, help="cached calls per boundary (default 10)")
    p.add_argument("--to", type=int, default=2050)
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--scenario", type=Path, default=SCENARIO)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    load_start = os.getloadavg()[0]
    if load_start > 0.5:
        print(
            f"warning: 1-min load average {load_start:.2f}: timings on a busy machine run long",
            file=sys.stderr,
        )

    import learn
    from learn.analyses.pathways.run import default_baseline
    from learn.analyses.pathways.scenario import load_scenario
    from learn.demo.build import build_demo_region

    build_demo_region(ROOT / "data" / "demo")
    region = learn.open_region("demo", ROOT / "data_catalog.yaml")
    baseline = default_baseline(region)
    scenarios = [load_scenario(args.scenario)]
    rows = [
        bench_boundary(region, bid, baseline, scenarios, args.to, args.draws, args.repeat)
        for bid in region.boundaries.ids()
    ]
    medians = [r["cached"]["median_s"] for r in rows]
    maxes = [r["cached"]["max_s"] for r in rows]
    firsts = [r["first_call_s"] for r in rows]
    out = {
        "what": "a pathway per demo boundary (BAU + scenario), in process: first call uncached, then cached",
        "region": "demo (SYNTHETIC)",
        "baseline": list(baseline),
        "end_year": args.to,
        "draws": args.draws,
        "scenario": str(
            args.scenario.relative_to(ROOT) if args.scenario.is_relative_to(ROOT) else args.scenario
        ),
        "repeat": args.repeat,
        "boundaries": rows,
        "summary": {
            "boundaries": len(rows),
            "cached_median_of_medians_s": round(statistics.median(medians), 4),
            "cached_worst_median_s": max(medians),
            "cached_max_s": max(maxes),
            "first_call_median_s": round(statistics.median(firsts), 4),
            "first_call_max_s": max(firsts),
            "target_cached_s": TARGET_S,
            "target_met": max(maxes) < TARGET_S,
        },
        "load_average_1min_at_start": round(load_start, 2),
        "machine": machine(),
    }
    print(json.dumps(out["summary"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
