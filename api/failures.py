"""Failures in plain words (issue 26): what a planner reads when preparing a county or place, or listing a state's
places, fails — a ``reason`` code and a plain ``message``, with the technical ``detail`` (the error text with its
URLs) kept for the server log and the map's "Details" toggle.

Classified on the error text, which is all that survives the fetch's child process (:mod:`api.fetch_process`):

- ``no_internet``: the host's name does not resolve or nothing answers the connection (DNS, refused, unreachable);
- ``source_not_answering``: a named public source timed out or answered with an HTTP 5xx error;
- ``unreadable``: anything else (an HTTP 404, a file that is not what was expected, …).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Literal

FailureReason = Literal["no_internet", "source_not_answering", "unreadable"]

NO_INTERNET_MESSAGE = "This server cannot reach the public data sources (no internet connection)."

_NO_INTERNET = re.compile(
    r"could not resolve|name or service not known|temporary failure in name resolution|nodename nor servname"
    r"|getaddrinfo|no address associated|errno -[23]\b|connection refused|errno 111\b|couldn'?t connect"
    r"|could not connect|failed to connect|network is unreachable|no route to host",
    re.IGNORECASE,
)
_NOT_ANSWERING = re.compile(
    r"timed? ?out|timeout|deadline|\b(?:HTTP|response code|status(?: code)?)\W{0,3}5\d\d\b"
    r"|\b50[0234] (?:internal server error|bad gateway|service unavailable|gateway time-?out)",
    re.IGNORECASE,
)
#: The public service a dataset key or URL in the error text names, first match wins.
_SERVICES = (
    (re.compile(r"canopy", re.IGNORECASE), "tree-canopy service"),
    (re.compile(r"land_cover|nlcd", re.IGNORECASE), "land-cover service"),
    (re.compile(r"place|tiger|census", re.IGNORECASE), "Census boundary service"),
    (re.compile(r"\bfia\b|fia_|datamart", re.IGNORECASE), "forest-inventory (FIA) service"),
    (re.compile(r"fire|mtbs|burn", re.IGNORECASE), "burn-severity (MTBS) service"),
    (re.compile(r"insect|disease", re.IGNORECASE), "insect and disease survey service"),
    (re.compile(r"bigmap|carbon", re.IGNORECASE), "forest-carbon (BIGMAP) service"),
)


@dataclass(frozen=True)
class Failure:
    """Why something the user asked for failed: a ``reason`` code, a plain ``message``, the technical ``detail``."""

    reason: FailureReason
    message: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def service_named(detail: str) -> str | None:
    """The public service the error text names ("land-cover service"), None when it names none known."""
    return next((name for pattern, name in _SERVICES if pattern.search(detail)), None)


def classify(detail: str, *, what: str = "the data for this place") -> Failure:
    """The reason and plain message of a failure whose technical text is ``detail``; ``what`` names what could not
    be read in the ``unreadable`` case ("the data for this place", "the list of cities and towns of MA")."""
    if _NO_INTERNET.search(detail):
        return Failure("no_internet", NO_INTERNET_MESSAGE, detail)
    if _NOT_ANSWERING.search(detail):
        service = service_named(detail)
        who = f"The {service}" if service else "A public data service"
        return Failure("source_not_answering", f"{who} did not answer. Try again in a few minutes.", detail)
    return Failure("unreadable", f"{what[0].upper()}{what[1:]} could not be read.", detail)
