"""Single sign-on: configuration validation and the mapping of ID-token claims (no network)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from odahub.errors import AccessDenied, ConfigError
from odahub.governance import oidc, policy, users
from odahub.hub import Hub

from .conftest import add_user

PROVIDERS = """
providers:
  - name: police_idp
    issuer: https://login.police.example/
    client_id: odahub
    client_secret: s3cr3t-from-the-vault-0123
    partner: police
    role_map: {odahub-practitioners: practitioner, odahub-analysts: analyst}
"""


def config() -> oidc.OidcConfig:
    return oidc.load_config(write(PROVIDERS))[0]


def write(text: str) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "sso.yaml"
    path.write_text(text)
    return path


def claims(**extra: object) -> dict[str, object]:
    now = int(time.time())
    return {"iss": "https://login.police.example", "aud": "odahub", "sub": "abc-123",
            "iat": now, "exp": now + 300, "preferred_username": "pc.jones",
            "email": "pc.jones@police.example", "name": "PC Jones",
            "groups": ["odahub-practitioners", "canteen"], **extra}


def test_config_is_validated_with_every_problem_named() -> None:
    good = config()
    assert good.issuer == "https://login.police.example"
    assert good.metadata_url.endswith("/.well-known/openid-configuration")
    bad = PROVIDERS.replace("https://", "http://").replace(
        "s3cr3t-from-the-vault-0123", "changeme").replace("analyst}", "superuser}")
    with pytest.raises(ConfigError) as caught:
        oidc.load_config(write(bad))
    text = str(caught.value)
    assert "https" in text and "client_secret" in text and "superuser" in text
    with pytest.raises(ConfigError, match="partner"):
        oidc.load_config(write(PROVIDERS.replace("partner: police", "")))


def test_registers_with_authlib_without_network() -> None:
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    client = oidc.register(oauth, config())
    assert client.client_id == "odahub" and oauth.create_client("police_idp") is client


def test_claims_map_to_a_user_who_gets_no_access_until_nominated(gov_hub: Hub) -> None:
    user = oidc.user_from_claims(gov_hub.catalog, config(), claims())
    assert (user.username, user.partner, user.roles) == ("pc.jones", "police",
                                                          frozenset({"practitioner"}))
    assert not user.nominated and user.training_expires is None
    principal = users.principal_for(gov_hub.catalog, "pc.jones", "early_help", "why")
    assert policy.readable(gov_hub.catalog, principal, "identified") == {}
    # The same subject signs in again with new groups: same user, roles follow the IdP.
    again = oidc.user_from_claims(gov_hub.catalog, config(),
                                  claims(groups=["odahub-analysts"]))
    assert again.id == user.id and again.roles == frozenset({"analyst"})


def test_a_local_account_is_never_taken_over(gov_hub: Hub) -> None:
    local = add_user(gov_hub, "pc.jones", partner="council")
    user = oidc.user_from_claims(gov_hub.catalog, config(), claims())
    assert user.id != local.id and user.username == "police_idp:pc.jones"


@pytest.mark.parametrize("bad", [{"iss": "https://evil.example"}, {"aud": "other-app"},
                                 {"exp": int(time.time()) - 3600}])
def test_wrong_issuer_audience_or_expiry_is_refused(gov_hub: Hub,
                                                    bad: dict[str, object]) -> None:
    with pytest.raises(AccessDenied):
        oidc.user_from_claims(gov_hub.catalog, config(), claims(**bad))


def test_nonce_must_match(gov_hub: Hub) -> None:
    with pytest.raises(AccessDenied):
        oidc.user_from_claims(gov_hub.catalog, config(), claims(nonce="a"), nonce="b")
    assert oidc.user_from_claims(gov_hub.catalog, config(), claims(nonce="a"), nonce="a")
