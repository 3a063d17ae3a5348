"""Background inventories of large custom polygons, run in a thread pool, with a bounded queue.

Each POST gets its own job id, random and unguessable (:func:`secrets.token_urlsafe`): a job's result is
readable only by whoever holds the id. Jobs that ask for the same computation (same geometry, label,
period, options and data: :meth:`api.service.Service.polygon_key`) share one run. At most
``max_pending`` distinct computations wait or run at once; beyond that :class:`api.errors.ServerBusy`
(HTTP 503 with ``Retry-After``) asks the client to come back, so a flood of polygons cannot queue hours
of CPU.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar

from api.errors import NotFound, ServerBusy, detail_of
from learn.errors import LearnError

JobState = Literal["queued", "running", "done", "error"]
T = TypeVar("T")


class Progress(Protocol):
    """What a computation reports: ``done`` of ``total`` (0…1 overall) and, optionally, the step it is on."""

    def __call__(self, done: int, total: int, step: str | None = None) -> None: ...


@dataclass
class Run(Generic[T]):
    """One computation, shared by the jobs that asked for it; ``progress`` runs from 0 to 1."""

    key: str
    status: JobState = "queued"
    progress: float = 0.0
    step: str | None = None  # e.g. "land cover 2011: 40 %"
    #: The steps finished so far, each with its last text ("land_cover 2011: 100 %"), oldest first (at most 100).
    history: list[str] = field(default_factory=list)
    result: T | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "error")


@dataclass
class Job(Generic[T]):
    """What one client asked for: its private id and the run that answers it."""

    id: str
    run: Run[T]
    _seq: int = field(default=0, repr=False)

    @property
    def status(self) -> JobState:
        return self.run.status

    @property
    def progress(self) -> float:
        return self.run.progress

    @property
    def step(self) -> str | None:
        return self.run.step

    @property
    def history(self) -> list[str]:
        return list(self.run.history)

    @property
    def result(self) -> T | None:
        return self.run.result

    @property
    def error(self) -> str | None:
        return self.run.error

    @property
    def finished(self) -> bool:
        return self.run.finished


def _step_name(step: str) -> str:
    """The step a progress text belongs to: "land_cover 2011" of "land_cover 2011: 40 %"."""
    return step.split(":", 1)[0]


def _lower_priority(nice: int) -> None:
    """Raise this worker thread's nice value (Linux: per thread, inherited by the threads it starts, e.g. GDAL's),
    so a long background job leaves the cores to the requests a user waits on (tiles, reports)."""
    if nice > 0 and hasattr(os, "setpriority"):
        try:
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, min(os.getpriority(os.PRIO_PROCESS, tid) + nice, 19))
        except OSError:  # not permitted here: run at the server's priority
            pass


def new_job_id() -> str:
    """32 URL-safe characters from 24 random bytes (192 bits): not derived from anything a client sends."""
    return secrets.token_urlsafe(24)


class JobManager(Generic[T]):
    """Jobs by id, executed by ``workers`` threads (the raster stage itself uses every core).

    ``max_jobs`` bounds the jobs remembered (the oldest finished ones are forgotten first);
    ``max_pending`` bounds the computations queued or running; ``retry_after_s`` is what a refused
    client is told to wait.
    """

    def __init__(
        self,
        workers: int = 1,
        max_jobs: int = 256,
        max_pending: int = 16,
        retry_after_s: int = 30,
        busy_text: str = "polygon inventories are already queued or running, the most this server takes",
        busy_hint: str = "draw a smaller polygon (answered at once)",
        missing_hint: str = "jobs live in server memory; POST the polygon to /api/regions/{region}/inventory again",
        nice: int = 0,
    ) -> None:
        self.max_jobs, self.max_pending, self.retry_after_s = max_jobs, max_pending, retry_after_s
        self.busy_text, self.busy_hint, self.missing_hint = busy_text, busy_hint, missing_hint
        self._jobs: dict[str, Job[T]] = {}
        self._runs: dict[str, Run[T]] = {}
        self._lock = threading.Lock()
        self._seq = 0
        self._pool = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="learn-job", initializer=_lower_priority, initargs=(nice,)
        )

    def submit(self, key: str, compute: Callable[[Progress], T]) -> Job[T]:
        """A new job answered by the run of ``key``: the existing one unless it failed, else ``compute(progress)``
        started now (ServerBusy when ``max_pending`` runs are already waiting or running)."""
        with self._lock:
            run = self._runs.get(key)
            start = run is None or run.status == "error"
            if start:
                if self.pending >= self.max_pending:
                    raise ServerBusy(
                        f"{self.pending} {self.busy_text}",
                        hint=f"try again in {self.retry_after_s} s, or {self.busy_hint}",
                        retry_after_s=self.retry_after_s,
                    )
                run = self._runs[key] = Run[T](key=key)
            assert run is not None
            self._seq += 1
            job = Job[T](id=new_job_id(), run=run, _seq=self._seq)
            self._jobs[job.id] = job
            self._prune()
        if start:
            self._pool.submit(self._run, run, compute)
        return job

    @property
    def pending(self) -> int:
        """Runs queued or running."""
        return sum(not r.finished for r in self._runs.values())

    def get(self, job_id: str) -> Job[T]:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(
                f"unknown job '{job_id}'",
                hint=self.missing_hint,
            )
        return job

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _run(run: Run[T], compute: Callable[[Progress], T]) -> None:
        run.status = "running"

        def progress(done: int, total: int, step: str | None = None) -> None:
            run.progress = min(done / total, 1.0) if total else 1.0
            if step is not None:
                # a new step ("tree_canopy 2011: 0 %" after "land_cover 2019: 100 %"): the old one is history, so
                # a client polling slower than the steps go still sees each of them
                if (
                    run.step is not None
                    and _step_name(run.step) != _step_name(step)
                    and len(run.history) < 100
                ):
                    run.history.append(run.step)
                run.step = step

        try:
            run.result = compute(progress)
        except LearnError as err:
            run.error, run.status = detail_of(err), "error"
        except Exception as err:  # reported through GET /api/jobs/{id}; the worker thread carries on
            run.error, run.status = f"internal error ({type(err).__name__}: {err})", "error"
        else:
            run.progress, run.status = 1.0, "done"

    def _prune(self) -> None:
        """Forget the oldest finished jobs beyond ``max_jobs`` (unfinished ones are kept), and runs no job holds."""
        excess = len(self._jobs) - self.max_jobs
        if excess <= 0:
            return
        finished = sorted((j for j in self._jobs.values() if j.finished), key=lambda j: j._seq)
        for j in finished[:excess]:
            del self._jobs[j.id]
        held = {id(j.run) for j in self._jobs.values()}
        for key in [k for k, r in self._runs.items() if id(r) not in held]:
            del self._runs[key]
