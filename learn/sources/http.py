"""One HTTP GET with retries for the services ``learn fetch`` calls (ArcGIS image and feature services, the FIA
DataMart): timeouts, exponential backoff on what may pass (429 and 5xx, no answer), the project's User-Agent.

Each caller turns the two ways a request fails into its own message: :class:`urllib.error.HTTPError` (a status
not worth retrying, or still failing after the retries; ``attempts`` says how many were made) and
:class:`Unreachable` (no answer at all after the retries).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from learn.sources.wcs import USER_AGENT

#: HTTP statuses worth another try (rate limiting, a gateway or a server that may recover).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpPolicy:
    """How patient to be with a service: per-request timeout, retries and the first backoff delay."""

    timeout_s: float = 60.0
    retries: int = 3
    backoff_s: float = 1.0  # doubled after each failed try


class Unreachable(Exception):
    """No answer from the host after every try: ``reason`` (text), ``attempts``, ``timed_out``."""

    def __init__(self, reason: str, attempts: int, timed_out: bool) -> None:
        super().__init__(reason)
        self.reason, self.attempts, self.timed_out = reason, attempts, timed_out


def open_url(
    url: str,
    policy: HttpPolicy = HttpPolicy(),
    headers: Mapping[str, str] | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """The open response of GET ``url`` (close it), retried with backoff on :data:`RETRY_STATUSES` and on no
    answer."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    delay = policy.backoff_s
    for attempt in range(1, policy.retries + 2):
        last = attempt == policy.retries + 1
        try:
            return urllib.request.urlopen(request, timeout=policy.timeout_s)
        except urllib.error.HTTPError as err:
            err.attempts = attempt  # type: ignore[attr-defined]
            if err.code not in RETRY_STATUSES or last:
                raise
        except (urllib.error.URLError, TimeoutError, OSError) as err:
            if last:
                reason = getattr(err, "reason", err)
                raise Unreachable(str(reason), attempt, isinstance(reason, TimeoutError)) from None
        sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover
