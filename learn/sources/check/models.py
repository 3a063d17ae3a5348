"""The result of ``learn sources check``: one :class:`CheckResult` per source and check, in a :class:`SourcesCheck`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

#: ``ok``: the source answers as the code expects; ``differs``: it answers otherwise (``expected`` / ``got``);
#: ``unreachable``: no answer (network, DNS, refused, timed out, HTTP 403/5xx); ``not checked``: the check does
#: not apply or is not configured (``detail`` says why) — it does not fail the command.
Status = Literal["ok", "differs", "unreachable", "not checked"]
FAILING: frozenset[str] = frozenset({"differs", "unreachable"})


class CheckResult(BaseModel):
    """One check of one catalog dataset against the live source."""

    model_config = ConfigDict(frozen=True)

    dataset: str = Field(description="catalog dataset key")
    check: str = Field(description="what was compared, e.g. 'units', 'pixel type', 'file'")
    status: Status
    expected: str | None = Field(default=None, description="what the code expects (from the catalog)")
    got: str | None = Field(default=None, description="what the source answered")
    detail: str | None = None
    url: str | None = Field(default=None, description="the request that answered (or failed)")


class SourcesCheck(BaseModel):
    """Every check of a ``learn sources check`` run."""

    catalog: str
    checked_at: str = Field(description="when the checks ran (ISO 8601, UTC)")
    seconds: float = Field(description="how long they took")
    results: list[CheckResult]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """True when no check differs and every source answered."""
        return not any(r.status in FAILING for r in self.results)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("ok", "differs", "unreachable", "not checked")}
        for r in self.results:
            out[r.status] += 1
        return out

    def datasets(self) -> list[str]:
        return list(dict.fromkeys(r.dataset for r in self.results))
