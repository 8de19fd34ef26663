"""OpenID Connect single sign-on (optional, via Authlib): a partner brings its identity provider.

The web app registers the provider with `register(oauth, config)` (Authlib's Starlette client
fetches the discovery document and keys when the first login starts) and, after the callback,
calls `user_from_claims` with the validated ID token claims. SSO proves who someone is; it never
grants access by itself: new SSO users start un-nominated, without training, so policy denies
every read until their partner's data owner nominates them and records their training.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from authlib.oidc.core import CodeIDToken
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import select

from odahub.catalog import Catalog
from odahub.catalog.base import utcnow
from odahub.catalog.tables.core import Partner
from odahub.catalog.tables.governance import User as UserRow
from odahub.errors import AccessDenied, ConfigError, Problem
from odahub.governance import audit, users
from odahub.governance.principal import ROLES

PLACEHOLDERS = {"", "changeme", "change-me", "secret", "client-secret", "xxx", "todo"}


class OidcConfig(BaseModel):
    """One identity provider; usually one per partner that runs its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    issuer: str
    client_id: str = Field(min_length=1)
    client_secret: str
    scopes: list[str] = Field(default_factory=lambda: ["openid", "email", "profile"])
    partner: str | None = None            # every user of this provider belongs to this partner
    partner_claim: str | None = None      # ...or the partner code comes from this claim
    roles_claim: str = "groups"
    role_map: dict[str, str] = Field(default_factory=dict)  # IdP group -> odahub role
    username_claim: str = "preferred_username"

    @field_validator("issuer")
    @classmethod
    def https_issuer(cls, value: str) -> str:
        local = value.startswith(("http://localhost", "http://127.0.0.1"))
        if not value.startswith("https://") and not local:
            raise ValueError("the issuer must be an https:// URL")
        return value.rstrip("/")

    @field_validator("client_secret")
    @classmethod
    def real_secret(cls, value: str) -> str:
        if value.strip().lower() in PLACEHOLDERS or len(value) < 16:
            raise ValueError("client_secret is missing, a placeholder or too short")
        return value

    @field_validator("role_map")
    @classmethod
    def known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value.values()) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown role(s) {', '.join(unknown)}")
        return value

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


def load_config(path: Path) -> list[OidcConfig]:
    """Read `providers:` from a YAML file; every problem reported with where it is."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from error
    found, problems = [], []
    for index, item in enumerate(data.get("providers", []) if isinstance(data, dict) else []):
        try:
            config = OidcConfig.model_validate(item)
            if not (config.partner or config.partner_claim):
                raise ValueError("set partner or partner_claim")
            found.append(config)
        except (ValidationError, ValueError) as error:
            issues = error.errors() if isinstance(error, ValidationError) else [
                {"loc": (), "msg": str(error)}]
            problems += [Problem(str(i["msg"]), file=str(path),
                                 column=f"providers[{index}]" + "".join(f".{p}" for p in i["loc"]))
                         for i in issues]
    if problems:
        raise ConfigError(f"{path}: the single sign-on configuration is invalid", problems)
    return found


def register(oauth: Any, config: OidcConfig) -> Any:
    """Register the provider on an Authlib OAuth registry (no network until a login starts)."""
    return oauth.register(name=config.name, client_id=config.client_id,
                          client_secret=config.client_secret,
                          server_metadata_url=config.metadata_url,
                          client_kwargs={"scope": " ".join(config.scopes)})


def validate_claims(config: OidcConfig, claims: Mapping[str, Any], *,
                    nonce: str | None = None, now: int | None = None) -> None:
    """Check issuer, audience, expiry and nonce of already signature-checked claims."""
    token = CodeIDToken(dict(claims), {}, options={
        "iss": {"essential": True, "value": config.issuer},
        "aud": {"essential": True, "value": config.client_id}},
        params={"nonce": nonce} if nonce else {})
    try:
        token.validate(now=now or int(time.time()), leeway=60)
    except Exception as error:  # Authlib raises one type per claim; callers get one
        raise AccessDenied(f"single sign-on refused: {error}") from error


def user_from_claims(catalog: Catalog, config: OidcConfig, claims: Mapping[str, Any], *,
                     nonce: str | None = None, now: int | None = None) -> users.User:
    """The odahub user of a validated ID token: matched by (issuer, subject), else created."""
    validate_claims(config, claims, nonce=nonce, now=now)
    partner = config.partner or str(claims.get(config.partner_claim or "", "") or "")
    groups = claims.get(config.roles_claim) or []
    roles = sorted({config.role_map[g] for g in groups if g in config.role_map})
    username = str(claims.get(config.username_claim) or claims.get("email") or claims["sub"])
    with catalog.session() as session:
        partner_id = session.scalar(select(Partner.id).where(Partner.code == partner))
        if partner_id is None:
            raise AccessDenied(f"single sign-on refused: unknown partner {partner!r}")
        row = session.scalar(select(UserRow).where(
            UserRow.oidc_issuer == config.issuer, UserRow.oidc_subject == str(claims["sub"])))
        if row is None:
            if session.scalar(select(UserRow.id).where(UserRow.username == username)):
                username = f"{config.name}:{username}"  # never take over a local account
            row = UserRow(username=username, oidc_issuer=config.issuer,
                          oidc_subject=str(claims["sub"]), nominated=False, active=True)
            session.add(row)
        if not row.active:
            raise AccessDenied("single sign-on refused: the user is disabled")
        row.partner_id, row.roles, row.last_login_at = partner_id, roles, utcnow()
        row.email = claims.get("email") or row.email
        row.display_name = str(claims.get("name") or row.display_name or username)
        session.flush()
        user = users.to_user(session, row)
    audit.record(catalog, actor=user.username, action="login",
                 details={"method": "oidc", "issuer": config.issuer, "roles": roles})
    return user
