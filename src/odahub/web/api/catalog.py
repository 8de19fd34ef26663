"""The catalog: feeds, versions and quality; uploads and their jobs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, UploadFile

from odahub.errors import NotFound
from odahub.web.api.deps import CsrfChecked, CurrentUser, ServingDep
from odahub.web.api.models import DatasetOut, JobOut, VersionOut
from odahub.web.queries import access, catalogue, feeds, jobs

router = APIRouter(tags=["catalog"])


@router.get("/datasets", response_model=list[DatasetOut], summary="Every feed")
def list_datasets(principal: CurrentUser, serving: ServingDep) -> list[DatasetOut]:
    return [DatasetOut(**d) for d in catalogue.datasets(serving)]


@router.get("/datasets/{name}/versions", response_model=list[VersionOut],
            summary="Versions of a feed in every zone, with quality reports")
def dataset_versions(name: str, principal: CurrentUser, serving: ServingDep) -> list[VersionOut]:
    if catalogue.dataset(serving, name) is None:
        raise NotFound(f"no dataset {name!r}")
    return [VersionOut(**v) for v in catalogue.versions(serving, name)]


@router.post("/datasets/{name}/uploads", response_model=JobOut, status_code=202,
             dependencies=[CsrfChecked], summary="Upload a delivery; returns its ingest job")
def upload(name: str, file: UploadFile, principal: CurrentUser,
           serving: ServingDep) -> JobOut:
    content = file.file.read(serving.settings.upload_limit_bytes + 1)
    job_id = feeds.upload(serving, principal, name, file.filename or "delivery", content)
    return JobOut(**jobs.get(serving.hub.catalog, job_id))



@router.get("/jobs/{job_id}", response_model=JobOut, summary="A job's progress")
def get_job(job_id: int, principal: CurrentUser, serving: ServingDep) -> JobOut:
    owner = None if access.has_role(principal, "hub_admin") else principal.username
    return JobOut(**jobs.get(serving.hub.catalog, job_id, owner))


@router.get("/datasets/{name}/quarantine", summary="Quarantined rows of the newest version "
            "(the feed's managers only)")
def quarantine(name: str, principal: CurrentUser, serving: ServingDep) -> list[dict[str, Any]]:
    return feeds.quarantine(serving, principal, name)
