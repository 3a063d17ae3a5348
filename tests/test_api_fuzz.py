"""Schemathesis over every route of the API, in-process (ASGI), bounded and derandomized.

Every check schemathesis has runs on every answer: no 5xx (but the documented 502 of a public source, which
this offline test cannot reach), bodies, headers and status codes as the
OpenAPI document declares them, ``Allow`` on 405, and so on. Requests are steered towards real things
(region ``demo``, its layers, boundaries and tiles, most of the time) so that they get past the 404s
into the computations. A new 500 or a schema mismatch fails the suite.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import morecantile
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from range_server import free_port
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app

TMS = morecantile.tms.get("WebMercatorQuad")
#: Tiles over the demo region at a few zooms, and one far away.
TILES = [TMS.tile(-75.2, 42.67, z) for z in (3, 8, 10, 11, 12)] + [morecantile.Tile(0, 0, 11)]
LAYERS = ["land_cover", "forest_change", "disturbance", "tree_canopy", "canopy_change"]
BOUNDARIES = ["99001", "9900200", "9900700", "Alder County"]
EXAMPLES = 20  # per operation: ~300 requests in all
PDF_EXAMPLES = 8


#: The public sources' hosts point at a port nobody listens on: the fuzzing never reaches the Internet.
OFFLINE = f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="module")
def fuzz_app(demo_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    offline = demo_catalog.with_name("data_catalog_fuzz_offline.yaml")  # beside it: relative paths hold
    text = re.sub(r'href: "https://[^/"]+', f'href: "{OFFLINE}', demo_catalog.read_text(encoding="utf-8"))
    offline.write_text(text, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LEARN_CACHE_DIR", str(tmp_path_factory.mktemp("learn_cache")))
        yield create_app(offline, cache_dir=tmp_path_factory.mktemp("api_cache"), webmap_dir=None)


def steered(operation: Any) -> st.SearchStrategy[Any]:
    """The operation's generated cases, with path and query values mostly replaced by real ones."""

    def steer(case: Any, region: str | None, layer: str | None, tile: Any, boundary: str | None) -> Any:
        path = case.path_parameters if case.path_parameters is not None else {}
        if region and "region" in path:
            path["region"] = region
        if layer and "layer" in path:
            path["layer"] = layer
        if tile is not None and "z" in path:
            path.update(z=tile.z, x=tile.x, y=tile.y)
        if boundary and isinstance(case.query, dict) and "boundary" in case.query:
            case.query["boundary"] = boundary
        return case

    return st.builds(
        steer,
        operation.as_strategy(),
        st.sampled_from(["demo", "demo", "demo", None]),
        st.sampled_from([*LAYERS, None]),
        st.sampled_from([*TILES, None]),
        st.sampled_from([*BOUNDARIES, None]),
    )


#: Why a schema-valid request may still get a 422: what OpenAPI cannot say (start before end; each region has
#: its own years, the document lists the catalog's) and, for a POSTed polygon, what GeoJSON must be.
SEMANTIC_422 = re.compile(r"must be before end year|has no land cover for|^no (land cover|tree canopy) for")
#: The one 5xx a request may get here, as documented: the places of a state are read online (502 offline).
OFFLINE_502 = re.compile(
    rf"^cannot read the TIGER places of [A-Z]{{2}} \(tiger_places\) from {re.escape(OFFLINE)}/\S+: no answer"
)


def _offline_502(response: Any) -> bool:
    return response.status_code == 502 and bool(OFFLINE_502.search(response.json().get("detail", "")))


@schemathesis.check
def no_server_error(ctx: Any, response: Any, case: Any) -> None:
    """schemathesis' not_a_server_error, less the documented 502 of a public source this offline test cannot reach."""
    if response.status_code >= 500 and not _offline_502(response):
        raise AssertionError(
            f"{case.method} {case.formatted_path}: server error {response.status_code} {response.text}"
        )


@schemathesis.check
def schema_valid_requests_accepted(ctx: Any, response: Any, case: Any) -> None:
    """schemathesis' positive_data_acceptance, less the rejections the document cannot express (above)."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    status = response.status_code
    if (
        status < 300
        or status in (404, 503)
        or _offline_502(response)
        or (case.method == "POST" and status in (400, 413, 422))
    ):
        return
    detail = response.json().get("detail", "") if status == 422 else ""
    if not SEMANTIC_422.search(detail):
        raise AssertionError(
            f"schema-valid {case.method} {case.formatted_path} rejected: {status} {response.text}"
        )


def test_api_answers_as_its_openapi_document_says(fuzz_app: FastAPI) -> None:
    """Each operation: up to EXAMPLES generated requests (valid and invalid), every check on every answer."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    failures, statuses, operations = [], Counter[int](), 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        # A PDF is seconds of WeasyPrint layout (more on a loaded machine): no deadline, fewer examples.
        pdf = operation.path.endswith(".pdf")

        @given(case=steered(operation))
        @settings(
            max_examples=PDF_EXAMPLES if pdf else EXAMPLES,
            derandomize=True,
            deadline=None if pdf else 10_000,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call_and_validate(
                excluded_checks=[positive_data_acceptance, not_a_server_error],
                additional_checks=[schema_valid_requests_accepted, no_server_error],
            )
            statuses[response.status_code] += 1

        try:
            check()
        except (Exception, BaseExceptionGroup) as err:  # every operation's failures, reported together
            failures.append(f"{operation.label}: {err}")
    assert not failures, "\n\n".join(failures)
    assert operations >= 15 and sum(statuses.values()) >= 200, (operations, statuses)
    assert statuses[200] >= 50 and statuses[422] >= 10 and statuses[404] >= 10, statuses  # it got deep


def test_the_fuzzing_catches_a_500() -> None:
    """The harness above fails on a route that answers 500 (so a passing run means something)."""
    app = FastAPI()

    @app.get("/boom")
    def boom(n: int) -> JSONResponse:
        return JSONResponse({"detail": f"broken by {n}"}, status_code=500)

    @app.get("/gateway")
    def gateway(n: int) -> JSONResponse:  # a 502 that is not the offline TIGER source
        return JSONResponse(
            {"detail": f"cannot read the TIGER places of MA from http://x/{n}"}, status_code=502
        )

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    boom_op, gateway_op = (r.ok() for r in schema.get_all_operations())

    @given(case=boom_op.as_strategy())
    @settings(max_examples=5, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate()

    with pytest.raises(BaseExceptionGroup) as found:  # schemathesis FailureGroup
        check()
    assert "ServerError" in {type(e).__name__ for e in found.value.exceptions}, found.value.exceptions
    for operation in (boom_op, gateway_op):  # the harness's own check, which lets only the offline 502 pass

        @given(case=operation.as_strategy())
        @settings(max_examples=5, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
        def own(case: Any) -> None:
            case.call_and_validate(excluded_checks=[not_a_server_error], additional_checks=[no_server_error])

        with pytest.raises(BaseExceptionGroup, match="server error 50"):
            own()
