"""Cookies, CSRF and security headers. Who the caller is comes from governance (auth.py).

CSRF uses the double-submit pattern: a random token in a SameSite=Strict cookie that every
form post and HTMX request must echo (form field `csrf_token` or header `X-CSRF-Token`). API
calls with a Bearer token carry no cookies and need no CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

SESSION_COOKIE = "odahub_session"
PURPOSE_COOKIE = "odahub_purpose"
CSRF_COOKIE = "odahub_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# No CDN and no inline script: every script is served by the app. Vega compiles expressions
# with `new Function`, hence 'unsafe-eval'; Leaflet positions tiles with inline styles.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


def csrf_token_of(request: Request) -> str:
    """The caller's CSRF token (made on first visit, set as a cookie by the middleware)."""
    token = request.cookies.get(CSRF_COOKIE)
    if not token:
        token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def csrf_ok(request: Request, submitted: str | None) -> bool:
    expected = request.cookies.get(CSRF_COOKIE)
    return bool(expected and submitted) and hmac.compare_digest(str(expected), str(submitted))


def cookie_secure(request: Request) -> bool:
    configured = request.app.state.serving.settings.cookie_secure
    return bool(configured) if configured is not None else request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str,
               *, strict: bool = False, max_age: int | None = None) -> None:
    response.set_cookie(name, value, httponly=True, secure=cookie_secure(request),
                        samesite="strict" if strict else "lax", max_age=max_age, path="/")


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        new_csrf = getattr(request.state, "new_csrf", None)
        if new_csrf and not request.cookies.get(CSRF_COOKIE):
            set_cookie(request, response, CSRF_COOKIE, new_csrf, strict=True)
        return response
