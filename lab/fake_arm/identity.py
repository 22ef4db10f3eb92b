"""The token side of the fake: the OpenID metadata and the v2.0 token endpoint MSAL talks to for a client secret.

Only the client-credentials grant is served, checked against the world's app registrations, with Entra ID's own error
codes (AADSTS...) when the tenant, the client or the secret is wrong. The tokens it issues are what ARM routes accept.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

from failback.lab.fake_arm.routes import Request, Response, route

TOKEN_LIFETIME_SECONDS = 3600


def _aad_error(status: int, error: str, code: int, description: str) -> Response:
    return Response(status, {"error": error, "error_description": f"AADSTS{code}: {description}", "error_codes": [code]})


@route("GET", r"/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration")
def _openid_configuration(arm, request: Request) -> Response:
    tenant = request.params["tenant"]
    base = f"{request.base_url}/{tenant}"
    return Response(200, {
        "issuer": f"{base}/v2.0",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "tenant_region_scope": "EU",
    })


@route("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token")
def _token(arm, request: Request) -> Response:
    form = {key: values[0] for key, values in parse_qs(request.body or "").items()}
    tenant, client_id = request.params["tenant"], form.get("client_id", "")
    if tenant.lower() != arm.world.tenant_id.lower():
        return _aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID.")
    if form.get("grant_type") != "client_credentials":
        return _aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
    if client_id not in arm.world.apps:
        return _aad_error(400, "unauthorized_client", 700016,
                          f"Application with identifier '{client_id}' was not found in the directory '{tenant}'.")
    if form.get("client_secret") != arm.world.apps[client_id]:
        return _aad_error(401, "invalid_client", 7000215,
                          "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
                          f"value, not the client secret ID, for a secret added to app '{client_id}'.")
    token = secrets.token_urlsafe(32)
    arm.tokens[token] = client_id
    return Response(200, {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME_SECONDS, "ext_expires_in": TOKEN_LIFETIME_SECONDS,
                          "access_token": token})


def is_identity_path(path: str) -> bool:
    """Paths served without a bearer token: the metadata and the token endpoint themselves."""
    return "/oauth2/" in path or "/.well-known/" in path
