"""Catalog and feeds: datasets, versions, quality, upload with job progress."""

from __future__ import annotations

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from odahub.errors import DeliveryError, NotFound
from odahub.web.api.deps import CsrfChecked, CurrentUser, ServingDep
from odahub.web.pages.render import render
from odahub.web.queries import access, catalogue, feeds, jobs

router = APIRouter()


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(request: Request, principal: CurrentUser, serving: ServingDep) -> HTMLResponse:
    owner = None if access.has_role(principal, "hub_admin") else principal.username
    return render(request, "catalog.html", datasets=catalogue.datasets(serving),
                  jobs=jobs.recent(serving.hub.catalog, owner, 10))


@router.get("/catalog/{name}", response_class=HTMLResponse)
def dataset_page(request: Request, name: str, principal: CurrentUser,
                 serving: ServingDep) -> HTMLResponse:
    found = catalogue.dataset(serving, name)
    if found is None:
        raise NotFound(f"no dataset {name!r}")
    manager = feeds.may_manage(principal, found["partner"])
    return render(request, "dataset.html", dataset=found,
                  versions=catalogue.versions(serving, name), may_upload=manager, error=None,
                  quarantined=feeds.quarantine(serving, principal, name) if manager else None)


@router.post("/catalog/{name}/upload", dependencies=[CsrfChecked])
async def upload(request: Request, name: str, file: UploadFile, principal: CurrentUser,
                 serving: ServingDep) -> Response:
    content = await file.read(serving.settings.upload_limit_bytes + 1)
    try:
        job_id = feeds.upload(serving, principal, name, file.filename or "delivery", content)
    except DeliveryError as error:
        found = feeds.feed_for(serving, principal, name)
        return render(request, "dataset.html", 400, dataset=found,
                      versions=catalogue.versions(serving, name), may_upload=True,
                      error=str(error), quarantined=None)
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: int, principal: CurrentUser,
             serving: ServingDep) -> HTMLResponse:
    owner = None if access.has_role(principal, "hub_admin") else principal.username
    job = jobs.get(serving.hub.catalog, job_id, owner)
    template = "job_status.html" if request.headers.get("hx-request") else "job.html"
    return render(request, template, job=job)
