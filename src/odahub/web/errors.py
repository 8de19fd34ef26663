"""One error shape for every /api/v1 response, and friendly pages for the browser.

A refusal by policy and a missing resource produce byte-identical 404 responses, so that nobody
can learn that a person or dataset exists by being refused it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from odahub.errors import AccessDenied, NotFound, OdahubError, Problem

NOT_FOUND_MESSAGE = "Nothing found at this address."


class LoginRequired(Exception):
    """No valid session or token: the API answers 401, pages send the browser to log in."""


class PurposeRequired(Exception):
    """Reads of partner data must name a purpose; pages ask for it once per session."""


class CsrfFailed(Exception):
    """A cookie-authenticated write without the matching CSRF token."""


class ProblemOut(BaseModel):
    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    problems: list[ProblemOut] = []


class ErrorBody(BaseModel):
    """The body of every error the JSON API returns."""

    error: ErrorDetail


CODES = {400: "bad_request", 401: "unauthorised", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid",
         429: "too_many_requests", 500: "internal"}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": CODES[status]}
    for status in (400, 401, 403, 404, 422)
}


def error_body(status: int, message: str, problems: list[Problem] | None = None) -> ErrorBody:
    return ErrorBody(error=ErrorDetail(
        status=status, code=CODES.get(status, "error"), message=message,
        problems=[ProblemOut(message=p.message, file=p.file, row=p.row, column=p.column)
                  for p in problems or []]))


def status_of(error: OdahubError) -> int:
    if isinstance(error, NotFound | AccessDenied):
        return 404
    return 400


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def respond(request: Request, status: int, body: ErrorBody,
            headers: dict[str, str] | None = None) -> Response:
    if wants_json(request):
        return JSONResponse(body.model_dump(), status_code=status, headers=headers)
    templates = request.app.state.templates
    return HTMLResponse(templates.get_template("error.html").render(
        request=request, error=body.error, user=getattr(request.state, "principal", None),
        csrf_token=""), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the one shape."""

    async def on_domain(request: Request, error: Exception) -> Response:
        assert isinstance(error, OdahubError), error
        status = status_of(error)
        message = NOT_FOUND_MESSAGE if status == 404 else error.message
        problems = [] if status == 404 else error.problems
        return respond(request, status, error_body(status, message, problems))

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException), error
        status = error.status_code
        message = NOT_FOUND_MESSAGE if status == 404 else str(error.detail)
        headers = dict(error.headers) if error.headers else None
        return respond(request, status, error_body(status, message), headers)

    async def on_invalid(request: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError), error
        problems = [Problem(str(item.get("msg")), column=".".join(str(x) for x in item["loc"]))
                    for item in error.errors()]
        return respond(request, 422, error_body(422, "The request is not valid.", problems))

    async def on_crash(request: Request, error: Exception) -> Response:
        return respond(request, 500, error_body(500, "Something went wrong on the server."))

    async def on_login(request: Request, error: Exception) -> Response:
        if wants_json(request):
            return respond(request, 401, error_body(401, "Log in, or send an API token."),
                           {"WWW-Authenticate": "Bearer"})
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)

    async def on_purpose(request: Request, error: Exception) -> Response:
        if wants_json(request):
            return respond(request, 400, error_body(400, "Name the purpose of this read in "
                                                    "the X-Odahub-Purpose header."))
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/purpose?{urlencode({'next': target})}", status_code=303)

    async def on_csrf(request: Request, error: Exception) -> Response:
        return respond(request, 403, error_body(
            403, "This form has expired or did not come from this site; reload and try again."))

    app.add_exception_handler(LoginRequired, on_login)
    app.add_exception_handler(PurposeRequired, on_purpose)
    app.add_exception_handler(CsrfFailed, on_csrf)
    app.add_exception_handler(OdahubError, on_domain)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(Exception, on_crash)
