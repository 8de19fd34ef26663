"""Output areas: map layer, trends and one area's profile."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from odahub.web.api.deps import Reader, ServingDep
from odahub.web.queries import areas as area_queries

router = APIRouter(prefix="/areas", tags=["areas"])


@router.get("", summary="Output areas as GeoJSON with measures")
def areas_geojson(reader: Reader, serving: ServingDep) -> dict[str, Any]:
    return area_queries.geojson(serving, reader)


@router.get("/trends", summary="Events per month and type (small counts suppressed)")
def trends(reader: Reader, serving: ServingDep) -> list[dict[str, Any]]:
    return area_queries.trends(serving, reader)


@router.get("/{oa_code}", summary="One output area's profile")
def area_profile(oa_code: str, reader: Reader, serving: ServingDep) -> dict[str, Any]:
    return area_queries.profile(serving, reader, oa_code)
