"""R4 (issue 21): a server that drips a few bytes every half second never trips a per-read timeout; every
HTTP request the project makes itself has a total deadline, and the error names the source and the deadline.

A real threaded server on 127.0.0.1 (:mod:`faulty_http`) drips 16 bytes every 0.5 s, in the body or in the
headers; every test asserts the error comes within the deadline plus a small margin.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from affine import Affine
from conftest import REPO, run_cli
from faulty_http import Drip, FaultyServer, serve_faults
from rasterio.crs import CRS

from learn.errors import CatalogError
from learn.raster.grid import Grid
from learn.sources.arcgis.feature import get_json
from learn.sources.arcgis.image import open_image_service
from learn.sources.catalog import DatasetSpec
from learn.sources.fia.download import DEFAULT_DEADLINE_S, datamart_policy_of
from learn.sources.http import DeadlineExceeded, HttpPolicy, Unreachable, get_bytes
from learn.sources.nlcd.wcs import open_wcs
from learn.sources.remote import FetchError, source_file

DEADLINE_S = 1.5
MARGIN_S = 1.5  # a loaded 2-core machine; the drips come every 0.5 s, a read waits at most the time left
CSV = "/fia/datamart/CSV/"


@pytest.fixture(scope="module")
def drip() -> Iterator[FaultyServer]:
    routes: dict[str, list[Any]] = {
        "/body": [Drip()],
        "/headers": [Drip(headers=True)],
        "/arcgis/rest/services/Slow/ImageServer": [Drip()],
        "/arcgis/rest/services/Layer/MapServer/1": [Drip()],
        "/geoserver/wcs": [Drip()],
        CSV + "RI_PLOT.zip": [Drip()],
    }
    with serve_faults(routes) as srv:
        yield srv


def _timed(fn: Any) -> tuple[BaseException, float]:
    t0 = time.monotonic()
    with pytest.raises(Exception) as info:
        fn()
    return info.value, time.monotonic() - t0


@pytest.mark.parametrize("path", ["/body", "/headers"])
def test_a_dripping_answer_stops_at_the_deadline(drip: FaultyServer, path: str) -> None:
    policy = HttpPolicy(timeout_s=60.0, retries=3, backoff_s=0.1, deadline_s=DEADLINE_S)
    err, took = _timed(lambda: get_bytes(drip.url + path, policy))
    assert isinstance(err, DeadlineExceeded), err
    assert DEADLINE_S <= took < DEADLINE_S + MARGIN_S, took
    assert "within the 1.5 s deadline" in str(err)
    if path == "/body":
        assert err.received and err.received < 200  # a few drips got through, never the whole body


def _grid() -> Grid:
    return Grid(
        crs=CRS.from_epsg(5070), transform=Affine(30, 0, 1_800_000, 0, -30, 2_400_000), width=8, height=8
    )


def _spec(**entry: Any) -> DatasetSpec:
    return DatasetSpec.model_validate(
        {"title": "t", "kind": "continuous", "license": "public domain", "citation": "c", **entry}
    )


def test_an_image_service_that_drips_is_refused_naming_the_dataset_and_deadline(drip: FaultyServer) -> None:
    """The audit's `learn fetch` of an ArcGIS source whose ?f=json drips (it stalled 150 s and was killed)."""
    spec = _spec(href=f"{drip.url}/arcgis/rest/services/Slow/ImageServer", protocol="arcgis_image",
                 deadline_s=DEADLINE_S)  # fmt: skip
    src = source_file("slow_carbon", spec, None)
    assert src.deadline_s == DEADLINE_S

    def read() -> None:
        with open_image_service(src, _grid(), backoff_s=0.05):
            pass

    err, took = _timed(read)
    assert isinstance(err, FetchError) and took < DEADLINE_S + MARGIN_S, (err, took)
    text = str(err)
    assert "slow_carbon" in text and "Slow/ImageServer?f=json" in text and "1.5 s deadline" in text


def test_a_feature_layer_and_a_coverage_service_that_drip_are_refused(drip: FaultyServer) -> None:
    url = f"{drip.url}/arcgis/rest/services/Layer/MapServer/1?f=json"
    err, took = _timed(lambda: get_json(url, HttpPolicy(deadline_s=DEADLINE_S, backoff_s=0.05)))
    assert isinstance(err, FetchError) and took < DEADLINE_S + MARGIN_S, (err, took)
    assert url in err.message and "1.5 s deadline" in err.message and "deadline_s" in str(err.hint)

    spec = _spec(href=f"{drip.url}/geoserver/wcs", protocol="wcs", coverage="lc", time="{year}-01-01",
                 grid_origin=[0, 0], deadline_s=DEADLINE_S, kind="categorical", years=[2019])  # fmt: skip
    src = source_file("slow_wcs", spec, 2019)

    def read() -> None:
        with open_wcs(src, _grid()):
            pass

    err, took = _timed(read)
    assert isinstance(err, FetchError) and took < DEADLINE_S + MARGIN_S, (err, took)
    assert (
        "slow_wcs 2019" in err.message and "/geoserver/wcs" in err.message and "1.5 s deadline" in err.message
    )


def test_learn_factors_fia_stops_a_dripping_download_with_exit_2(
    drip: FaultyServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The audit's `learn factors fia` against a dripping DataMart (still going at 100 s, ~7 h for 200 KB)."""
    args = [
        "factors",
        "fia",
        "--state",
        "RI",
        "--out",
        str(tmp_path / "f.csv"),
        "--cache",
        str(tmp_path / "c"),
    ]
    code, _, err = run_cli(
        [*args, "--datamart-url", drip.url + CSV, "--deadline-s", "1.5"], monkeypatch, capsys
    )
    took = time.monotonic() - drip.asked_at[CSV + "RI_PLOT.zip"]  # from the request (not the CLI's imports)
    text = " ".join(err.split())
    assert code == 2 and "Traceback" not in err, err
    assert took < DEADLINE_S + MARGIN_S, took
    assert f"{drip.url}{CSV}RI_PLOT.zip did not finish within its 1.5 s deadline" in text
    assert "--deadline-s" in text and "resumes" in text
    assert not (tmp_path / "c" / "fia" / "RI" / "RI_PLOT.zip").exists()  # only the .part, resumed next time


def test_the_deadline_is_a_catalog_setting_per_dataset(tmp_path: Path) -> None:
    doc = yaml.safe_load((REPO / "data_catalog.yaml").read_text())
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(yaml.safe_dump(doc))
    assert datamart_policy_of(catalog).deadline_s == DEFAULT_DEADLINE_S
    assert datamart_policy_of(catalog, 30).deadline_s == 30  # --deadline-s wins
    doc["datasets"]["fia_datamart"]["deadline_s"] = 90
    catalog.write_text(yaml.safe_dump(doc))
    assert datamart_policy_of(catalog).deadline_s == 90
    doc["datasets"]["fia_datamart"]["deadline_s"] = "soon"
    catalog.write_text(yaml.safe_dump(doc))
    with pytest.raises(CatalogError, match=r"fia_datamart.*deadline_s 'soon' is not a positive number"):
        datamart_policy_of(catalog)
    with pytest.raises(CatalogError, match="deadline_s -1"):
        source_file("x", _spec(href="https://h/arcgis/rest/services/X/ImageServer", protocol="arcgis_image",
                               deadline_s=-1), None)  # fmt: skip


def test_https_answers_are_read_whole_verified_and_within_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The public services are HTTPS: the deadline socket wraps the TLS one, certificates are still checked."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        capture_output=True, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"openssl cannot make a test certificate here: {made.stderr.decode().strip()[:200]}")
    body = b"0123456789" * 100_000
    with serve_faults({"/ok": [body], "/drip": [Drip()]}, tls=(cert, key)) as srv:
        with pytest.raises(Unreachable, match="CERTIFICATE_VERIFY_FAILED"):  # not trusted yet: refused
            get_bytes(srv.url + "/ok", HttpPolicy(retries=0))
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate (OpenSSL's default paths)
        assert get_bytes(srv.url + "/ok") == body
        err, took = _timed(lambda: get_bytes(srv.url + "/drip", HttpPolicy(deadline_s=DEADLINE_S)))
        assert isinstance(err, DeadlineExceeded) and DEADLINE_S <= took < DEADLINE_S + MARGIN_S, (err, took)


@pytest.fixture(scope="module")
def nlcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from range_server import serve_directory
    from test_fetch import build_public_sources

    root = tmp_path_factory.mktemp("www")
    build_public_sources(root)
    with serve_directory(root) as srv:
        yield srv


def test_learn_fetch_of_a_dripping_image_service_is_exit_2_within_its_deadline(
    drip: FaultyServer, nlcd: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """The audit's `learn fetch` with an `arcgis_image` dataset whose ?f=json drips: silent for 150 s, killed."""
    from test_fetch import FETCH_ARGS, OUTLINE, _catalog_copy

    monkeypatch.setenv("LEARN_CACHE_DIR", str(tmp_path / "cache"))
    cat = _catalog_copy(tmp_path / "project", f"{nlcd.url}/e2e")
    doc = yaml.safe_load(cat.read_text())
    doc["datasets"]["slow_carbon"] = {
        "title": "live carbon from a service that drips", "href": [f"{drip.url}/arcgis/rest/services/Slow/ImageServer"],
        "protocol": "arcgis_image", "kind": "continuous", "units": "t C/ha", "fetch_layer": "carbon_live",
        "deadline_s": DEADLINE_S, "license": "test", "citation": "test",
    }  # fmt: skip
    cat.write_text(yaml.safe_dump(doc))
    before = cat.read_text()
    args = [
        "fetch",
        "--boundary-file",
        str(OUTLINE),
        *FETCH_ARGS,
        "--region-name",
        "slow",
        "--catalog",
        str(cat),
    ]
    code, _, err = run_cli(args, monkeypatch, capsys)
    took = time.monotonic() - drip.asked_at["/arcgis/rest/services/Slow/ImageServer"]
    text = " ".join(err.split())
    assert code == 2 and "Traceback" not in err, err
    assert took < DEADLINE_S + MARGIN_S, took
    assert (
        "cannot read slow_carbon" in text and "Slow/ImageServer?f=json" in text and "1.5 s deadline" in text
    )
    assert cat.read_text() == before and not (tmp_path / "project" / "data").exists()
