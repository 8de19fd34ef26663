"""Long work started from the web (an upload's ingest) as a catalog Job row plus a thread.

The page polls the Job row (HTMX every second), so progress survives reloads and is the same
whichever worker process answers. A catalog-backed queue is enough at a hub's upload rate
(a few feeds a day); see ADR 0072.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from odahub.catalog import Catalog
from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import Job
from odahub.errors import NotFound, OdahubError

Progress = Callable[[float, str], None]
Work = Callable[[Progress], dict[str, Any]]


def create(catalog: Catalog, kind: str, params: dict[str, Any], created_by: str) -> int:
    with catalog.session() as session:
        job = Job(kind=kind, status="queued", params=params, created_by=created_by)
        session.add(job)
        session.flush()
        return int(job.id)


def update(catalog: Catalog, job_id: int, **values: Any) -> None:
    with catalog.session() as session:
        job = session.get(Job, job_id)
        if job is not None:
            for key, value in values.items():
                setattr(job, key, value)


def run(catalog: Catalog, job_id: int, work: Work) -> None:
    """Run `work` now in this thread, recording progress, result or the error on the Job row."""
    update(catalog, job_id, status="running", started_at=utcnow(), progress=0.0)

    def progress(fraction: float, message: str) -> None:
        update(catalog, job_id, progress=max(0.0, min(1.0, fraction)), message=message)

    try:
        result = work(progress)
    except OdahubError as error:
        update(catalog, job_id, status="failed", message=str(error), finished_at=utcnow())
    except Exception as error:  # a job must never die silently: record what happened
        update(catalog, job_id, status="failed", finished_at=utcnow(),
               message=f"{type(error).__name__}: {error}",
               result={"trace": traceback.format_exc(limit=5)})
    else:
        update(catalog, job_id, status="done", progress=1.0, result=result,
               message="finished", finished_at=utcnow())


def start(catalog: Catalog, job_id: int, work: Work) -> threading.Thread:
    thread = threading.Thread(target=run, args=(catalog, job_id, work), daemon=True,
                              name=f"odahub-job-{job_id}")
    thread.start()
    return thread


def get(catalog: Catalog, job_id: int, username: str | None = None) -> dict[str, Any]:
    """A job as a dict; only its creator (or an admin, username=None) may see it."""
    with catalog.session() as session:
        job = session.get(Job, job_id)
        if job is None or (username is not None and job.created_by != username):
            raise NotFound(f"no job {job_id}")
        return {"id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress,
                "message": job.message, "result": job.result or {}, "params": job.params,
                "created_at": job.created_at, "finished_at": job.finished_at}


def recent(catalog: Catalog, username: str | None, limit: int = 20) -> list[dict[str, Any]]:
    query = select(Job.id).order_by(Job.id.desc()).limit(limit)
    if username is not None:
        query = query.where(Job.created_by == username)
    with catalog.session() as session:
        ids = list(session.scalars(query))
    return [get(catalog, job_id) for job_id in ids]
