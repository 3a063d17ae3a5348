"""``GET /api/sources/status``: the server's last ``learn sources check``, run in the background on demand
and cached, against the public sources played on 127.0.0.1 (tests/fake_sources.py)."""

from __future__ import annotations

import time
from pathlib import Path

from fake_sources import Faults, fake_world
from fastapi.testclient import TestClient

from api.app import create_app


def _status(client: TestClient, **params: str) -> dict:
    r = client.get("/api/sources/status", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _finished(client: TestClient) -> dict:
    client.app.state.sources_monitor.wait(60)  # type: ignore[attr-defined]
    return _status(client)


def test_reachable_sources_are_checked_once_in_the_background_and_cached(tmp_path: Path) -> None:
    with (
        fake_world(tmp_path) as world,
        TestClient(create_app(world.catalog, cache_dir=tmp_path / "c", webmap_dir=None)) as c,
    ):
        first = _status(c)
        assert first["state"] in ("checking", "reachable")  # answered at once, the check in the background
        done = _finished(c)
        assert done["state"] == "reachable" and done["ok"] is True and done["unreachable"] == []
        assert done["checked_at"] and done["counts"]["ok"] > 20
        before = len(world.survey.queries)  # type: ignore[union-attr]
        again = _status(c)  # cached: no new request to the sources
        assert again["checked_at"] == done["checked_at"] and not again["checking"]
        assert len(world.survey.queries) == before  # type: ignore[union-attr]
        _status(c, refresh="true")
        time.sleep(0.05)
        assert _finished(c)["state"] == "reachable" and len(world.survey.queries) > before  # type: ignore[union-attr]
        assert "/api/sources/status" in c.get("/openapi.json").json()["paths"]


def test_unreachable_sources_say_not_reachable(tmp_path: Path) -> None:
    with (
        fake_world(tmp_path, Faults(unreachable=True)) as world,
        TestClient(create_app(world.catalog, cache_dir=tmp_path / "c", webmap_dir=None)) as c,
    ):
        _status(c)
        done = _finished(c)
        assert done["state"] == "not reachable" and done["ok"] is False
        assert "fia_datamart" in done["unreachable"] and done["differs"] == []


def test_a_source_that_differs_is_listed(tmp_path: Path) -> None:
    with (
        fake_world(tmp_path, Faults(damage_types=("Mortality",))) as world,
        TestClient(create_app(world.catalog, cache_dir=tmp_path / "c", webmap_dir=None)) as c,
    ):
        _status(c)
        done = _finished(c)
        assert done["state"] == "reachable" and done["ok"] is False
        assert [(d["dataset"], d["check"]) for d in done["differs"]] == [
            ("ids_damage_areas_mapserver", "field values")
        ]
