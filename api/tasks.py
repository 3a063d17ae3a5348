"""Background inventories of large custom polygons, run in a thread pool.

A job's id is deterministic (see :meth:`api.service.Service.polygon_key`): posting the same polygon,
period and options against the same data again finds the same job instead of starting a new one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from api.errors import NotFound, detail_of
from learn.errors import LearnError
from learn.report.models import Report

JobState = Literal["queued", "running", "done", "error"]
Progress = Callable[[int, int], None]


@dataclass
class Job:
    """One background inventory; ``progress`` runs from 0 to 1 (share of raster windows read)."""

    id: str
    status: JobState = "queued"
    progress: float = 0.0
    result: Report | None = None
    error: str | None = None
    _seq: int = field(default=0, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "error")


class JobManager:
    """Jobs by id, executed by ``workers`` threads (the raster stage itself uses every core)."""

    def __init__(self, workers: int = 1, max_jobs: int = 256) -> None:
        self.max_jobs = max_jobs
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._seq = 0
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="learn-job")

    def submit(self, job_id: str, compute: Callable[[Progress], Report]) -> Job:
        """Start ``compute(progress)`` as job ``job_id``, unless that job is already queued, running or done."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.status != "error":
                return job
            self._seq += 1
            job = self._jobs[job_id] = Job(id=job_id, _seq=self._seq)
            self._prune()
        self._pool.submit(self._run, job, compute)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(
                f"unknown job '{job_id}'",
                hint="jobs live in server memory; POST the polygon to /api/regions/{region}/inventory again",
            )
        return job

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _run(job: Job, compute: Callable[[Progress], Report]) -> None:
        job.status = "running"

        def progress(done: int, total: int) -> None:
            job.progress = min(done / total, 1.0) if total else 1.0

        try:
            job.result = compute(progress)
        except LearnError as err:
            job.error, job.status = detail_of(err), "error"
        except Exception as err:  # reported through GET /api/jobs/{id}; the worker thread carries on
            job.error, job.status = f"internal error ({type(err).__name__}: {err})", "error"
        else:
            job.progress, job.status = 1.0, "done"

    def _prune(self) -> None:
        """Forget the oldest finished jobs beyond ``max_jobs`` (running ones are kept)."""
        excess = len(self._jobs) - self.max_jobs
        if excess <= 0:
            return
        finished = sorted((j for j in self._jobs.values() if j.finished), key=lambda j: j._seq)
        for j in finished[:excess]:
            del self._jobs[j.id]
