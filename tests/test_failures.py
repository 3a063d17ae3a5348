"""Failures in plain words (issue 26): the classification the prepare box and the place list show."""

from __future__ import annotations

import pytest

from api.failures import NO_INTERNET_MESSAGE, classify

NLCD = "cannot read annual_nlcd_land_cover 2011 from https://s3-us-west-2.amazonaws.com/mrlc/Annual_NLCD_LndCov_2011.tif"


@pytest.mark.parametrize(
    "detail",
    [
        f"{NLCD}: CURL error: Could not resolve host: s3-us-west-2.amazonaws.com",
        "cannot read the TIGER places of MA (census_places) from https://www2.census.gov/x.zip: "
        "[Errno -2] Name or service not known",
        "[Errno -3] Temporary failure in name resolution",
        f"{NLCD}: CURL error: Failed to connect to 127.0.0.1 port 9: Connection refused",
        "<urlopen error [Errno 111] Connection refused>",
        "[Errno 101] Network is unreachable",
    ],
)
def test_dns_and_connection_failures_are_no_internet(detail: str) -> None:
    f = classify(detail)
    assert (f.reason, f.message, f.detail) == ("no_internet", NO_INTERNET_MESSAGE, detail)
    assert "no internet connection" in f.message


@pytest.mark.parametrize(
    ("detail", "service"),
    [
        (f"{NLCD}: CURL error: Operation timed out after 30000 milliseconds", "The land-cover service"),
        (f"{NLCD}: HTTP response code: 503", "The land-cover service"),
        ("cannot read nlcd_tree_canopy_cover 2011 from https://x/y.tif: HTTP 502", "The tree-canopy service"),
        (
            "cannot read the TIGER places of MA from https://www2.census.gov/p.zip: HTTP 500",
            "The Census boundary service",
        ),
        ("cannot read https://example.org/a.tif: read timeout", "A public data service"),
    ],
)
def test_timeouts_and_server_errors_name_the_service(detail: str, service: str) -> None:
    f = classify(detail)
    assert f.reason == "source_not_answering" and f.detail == detail
    assert f.message.startswith(f"{service} did not answer.")


@pytest.mark.parametrize(
    "detail",
    [
        f"{NLCD}: HTTP 404",
        "https://x/p.zip is not a TIGER/Line place file: it has no GEOID and NAMELSAD (or NAME) fields",
        "internal error (ValueError: bad band)",
    ],
)
def test_anything_else_is_unreadable(detail: str) -> None:
    f = classify(detail)
    assert (f.reason, f.message) == ("unreadable", "The data for this place could not be read.")
    assert classify(detail, what="the list of cities and towns of CT").message == (
        "The list of cities and towns of CT could not be read."
    )
    assert f.as_dict() == {"reason": "unreadable", "message": f.message, "detail": detail}
