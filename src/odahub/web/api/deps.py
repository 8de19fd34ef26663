"""Annotated dependencies: who is calling (resolved once, at the edge) and what they serve from.

Every data route takes a `Reader` — the principal with the purpose of this read attached — and
passes it into the query layer; no route reads partner data any other way.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Header, Request
from itsdangerous import BadSignature, URLSafeSerializer

from odahub.errors import AccessDenied
from odahub.governance import Principal
from odahub.hub import Hub
from odahub.web import auth, security
from odahub.web.errors import CsrfFailed, LoginRequired, PurposeRequired
from odahub.web.serving import Serving


def get_serving(request: Request) -> Serving:
    serving: Serving = request.app.state.serving
    return serving


def get_hub(serving: Annotated[Serving, Depends(get_serving)]) -> Hub:
    return serving.hub


ServingDep = Annotated[Serving, Depends(get_serving)]
HubDep = Annotated[Hub, Depends(get_hub)]


def purpose_serializer(serving: Serving) -> URLSafeSerializer:
    return URLSafeSerializer(serving.settings.secret, salt="odahub-purpose")


def session_binding(session_token: str) -> str:
    return hashlib.sha256(session_token.encode()).hexdigest()[:32]


def stored_purpose(request: Request, serving: Serving,
                   session_token: str) -> tuple[str | None, str | None]:
    """The purpose chosen in this session (a signed cookie bound to the session token)."""
    raw = request.cookies.get(security.PURPOSE_COOKIE)
    if not raw:
        return None, None
    try:
        data = purpose_serializer(serving).loads(raw)
    except BadSignature:
        return None, None
    if not isinstance(data, dict) or data.get("s") != session_binding(session_token):
        return None, None
    return data.get("p"), data.get("j")


def get_caller(
    request: Request,
    serving: ServingDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> auth.Caller:
    """Bearer token first, then the session cookie; anything else is not logged in."""
    catalog = serving.hub.catalog
    try:
        if authorization and authorization.lower().startswith("bearer "):
            caller = auth.from_token(catalog, authorization[7:].strip(), serving.callers)
        elif token := request.cookies.get(security.SESSION_COOKIE):
            caller = auth.from_session(catalog, token, serving.callers)
        else:
            raise LoginRequired
    except AccessDenied as error:
        raise LoginRequired from error
    request.state.principal = caller.principal
    return caller


CallerDep = Annotated[auth.Caller, Depends(get_caller)]


def get_principal(
    request: Request,
    serving: ServingDep,
    caller: CallerDep,
    purpose: Annotated[str | None, Header(alias="X-Odahub-Purpose")] = None,
    justification: Annotated[str | None, Header(alias="X-Odahub-Justification")] = None,
) -> Principal:
    """The principal, with the purpose named in headers or chosen earlier in the session."""
    if not purpose and caller.session_token:
        purpose, justification = stored_purpose(request, serving, caller.session_token)
    principal = replace(caller.principal, purpose=purpose or None,
                        justification=justification or None)
    request.state.principal = principal
    return principal


CurrentUser = Annotated[Principal, Depends(get_principal)]
PrincipalDep = CurrentUser


def get_reader(principal: CurrentUser) -> Principal:
    """A principal that has named a purpose: required by every read of partner data."""
    if not principal.purpose:
        raise PurposeRequired
    return principal


Reader = Annotated[Principal, Depends(get_reader)]


async def check_csrf(request: Request, caller: CallerDep) -> None:
    """Writes made with a session cookie must echo the CSRF token; token callers need not."""
    if caller.via == "token" or request.method in security.SAFE_METHODS:
        return
    submitted = request.headers.get(security.CSRF_HEADER)
    if submitted is None and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        value = form.get(security.CSRF_FIELD)
        submitted = value if isinstance(value, str) else None
    if not security.csrf_ok(request, submitted):
        raise CsrfFailed


CsrfChecked = Depends(check_csrf)
