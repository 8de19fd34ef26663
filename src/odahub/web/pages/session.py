"""Log in, choose the purpose of this session, log out, and the home page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from odahub.errors import AccessDenied
from odahub.governance import agreements
from odahub.web import auth, security
from odahub.web.api.deps import (
    CsrfChecked,
    CurrentUser,
    ServingDep,
    purpose_serializer,
    session_binding,
)
from odahub.web.pages.render import render

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only ever redirect within this site."""
    parsed = urlparse(target or "/")
    if parsed.scheme or parsed.netloc or not (target or "/").startswith("/"):
        return "/"
    return target or "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login")
async def login(request: Request, serving: ServingDep,
                username: Annotated[str, Form(max_length=128)],
                password: Annotated[str, Form(max_length=1024)],
                csrf_token: Annotated[str, Form()] = "",
                next: Annotated[str, Form()] = "/") -> Response:
    if not security.csrf_ok(request, csrf_token):
        return render(request, "login.html", 403, next=safe_next(next),
                      error="This form expired; please try again.")
    try:
        token = auth.login(serving.hub.catalog, username.strip(), password,
                           client=request.headers.get("user-agent"),
                           replaces=request.cookies.get(security.SESSION_COOKIE))
    except AccessDenied as error:
        return render(request, "login.html", 401, next=safe_next(next), error=str(error))
    response = RedirectResponse(safe_next(next), status_code=303)
    security.set_cookie(request, response, security.SESSION_COOKIE, token)
    response.delete_cookie(security.PURPOSE_COOKIE, path="/")
    return response


@router.post("/logout", dependencies=[CsrfChecked])
def logout(request: Request, serving: ServingDep) -> Response:
    token = request.cookies.get(security.SESSION_COOKIE)
    if token:
        auth.logout(serving.hub.catalog, token, serving.callers)
    response = RedirectResponse("/login", status_code=303)
    for name in (security.SESSION_COOKIE, security.PURPOSE_COOKIE):
        response.delete_cookie(name, path="/")
    return response


@router.get("/purpose", response_class=HTMLResponse)
def purpose_form(request: Request, principal: CurrentUser, serving: ServingDep,
                 next: str = "/") -> HTMLResponse:
    return render(request, "purpose.html", next=safe_next(next),
                  purposes=agreements.purposes(serving.hub.catalog), error=None)


@router.post("/purpose", dependencies=[CsrfChecked])
def choose_purpose(request: Request, principal: CurrentUser, serving: ServingDep,
                   purpose: Annotated[str, Form(max_length=128)],
                   justification: Annotated[str, Form(max_length=500)] = "",
                   next: Annotated[str, Form()] = "/") -> Response:
    purposes = agreements.purposes(serving.hub.catalog)
    if purpose not in purposes or len(justification.strip()) < 5:
        return render(request, "purpose.html", 422, next=safe_next(next), purposes=purposes,
                      error="Choose a purpose and say why you need the data (a few words).")
    token = request.cookies.get(security.SESSION_COOKIE, "")
    value = purpose_serializer(serving).dumps(
        {"s": session_binding(token), "p": purpose, "j": justification.strip()})
    response = RedirectResponse(safe_next(next), status_code=303)
    security.set_cookie(request, response, security.PURPOSE_COOKIE, value)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, principal: CurrentUser) -> HTMLResponse:
    return render(request, "home.html")
