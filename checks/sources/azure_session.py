"""Signing in to Azure and building the SDK clients: which credential, which cloud, what trust, how to retry.

Retries are azure-core's RetryPolicy (throttling and 5xx, exponential backoff, Retry-After honoured), timeouts the
transport's connection and read timeouts: both configured from the site file, never hand-rolled. All clients share one
HTTP connection pool sized for the parallel calls, so connections are reused instead of renegotiated.
"""

from __future__ import annotations

import functools
import os
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from failback.checks.site import Azure
from failback.checks.sources.azure_errors import describe_sign_in_failure
from failback.checks.sources.azure_throttling import ArmRequestBudget
from failback.checks.sources.errors import SourceError

# Microsoft's own authorities; any other (a test fake, a private cloud) is not known to MSAL's instance discovery,
# which would otherwise try to reach login.microsoftonline.com to validate it.
MICROSOFT_AUTHORITY_HOSTS = {"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn",
                             "login.partner.microsoftonline.cn"}
CONNECT_TIMEOUT_CAP_SECONDS = 10.0
# The api-versions of the reads made through AzureSession.read (below): those the installed SDKs send for the same
# operations, so both kinds of call read the same API (tests/azure/test_reads.py holds them equal).
COMPUTE_API_VERSION = "2026-04-01"
SITE_RECOVERY_API_VERSION = "2025-08-01"


def credential_kind(settings: Azure) -> str:
    if settings.credential:
        return settings.credential
    return "client_secret" if settings.client_id and settings.client_secret_env else "default"


def describe_credential(settings: Azure) -> str:
    """Which identity is tried, in words for an error message; never the secret."""
    kind = credential_kind(settings)
    if kind == "client_secret":
        return (f"client_secret (service principal {settings.client_id} in tenant {settings.tenant_id}, secret from "
                f"${settings.client_secret_env})")
    if kind == "managed_identity":
        return f"managed_identity ({'user-assigned ' + settings.client_id if settings.client_id else 'system-assigned'})"
    if kind == "azure_cli":
        return "azure_cli (the account `az login` signed in)"
    return "default (DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI, ...)"


def public_ca_bundle() -> str:
    """The CAs requests trusts by default: $REQUESTS_CA_BUNDLE or $CURL_CA_BUNDLE when set, else certifi's."""
    import requests

    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or requests.certs.where()


def trust(ca_file: str | None) -> ssl.SSLContext:
    """What TLS verification trusts, decided once per collection: requests' public CAs and, with a site ca_file (a
    TLS-inspecting proxy's, a private endpoint's, a lab's), that file too. Extra, not instead: behind a private endpoint
    ARM may be signed by a private CA while sign-in still goes to login.microsoftonline.com."""
    try:
        context = ssl.create_default_context(cafile=public_ca_bundle())
    except (OSError, ssl.SSLError) as exc:
        raise SourceError("config", f"cannot load the public CA bundle {public_ca_bundle()}: "
                                    f"{getattr(exc, 'strerror', None) or exc}") from None
    if ca_file is None:
        return context
    path = Path(ca_file).expanduser()
    try:
        context.load_verify_locations(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        raise SourceError("config", f"cannot load [azure] ca_file {ca_file}: {getattr(exc, 'strerror', None) or exc}") from None
    return context


def _http_session(context: ssl.SSLContext, pool_size: int) -> Any:
    """One requests session for every client: a pool sized for the parallel calls, verifying TLS with `context`.

    Per request, requests would otherwise consult the file system: the CA bundle's path (urllib3 parsing that file again
    for every new connection, some 50 ms of CPU for the public bundle) and ~/.netrc. Each of those system calls gives
    up the interpreter lock, which a thread of a large pool then waits milliseconds to get back: thousands of calls
    lost seconds. The context is handed to urllib3 through HTTPAdapter's documented hooks instead, and verification
    can only be on (Azure calls have no switch to turn it off)."""
    import requests

    class VerifyWithContext(requests.adapters.HTTPAdapter):
        def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
            url = urlsplit(request.url)
            return ({"scheme": url.scheme.lower(), "host": url.hostname, "port": url.port},
                    {"cert_reqs": "CERT_REQUIRED", "ssl_context": context})

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            conn.cert_reqs = "CERT_REQUIRED"
            conn.ca_certs = conn.ca_cert_dir = None

    class PipelineCredentialOnly(requests.auth.AuthBase):
        """The pipeline's bearer token is the only credential: a ~/.netrc entry for the host must not replace it with
        a password (requests would look for one on every request)."""

        def __call__(self, request: Any) -> Any:
            return request

    class EnvironmentReadOnce(requests.Session):
        """requests reads the proxy variables from the environment on every request: some 0.7 ms of CPU each (every
        variable is scanned), seconds for the thousands of calls of a large vault. The environment does not change
        during a collection: what requests concludes for a host and its arguments is kept."""

        def __init__(self) -> None:
            super().__init__()
            self._settled: dict[Any, dict[str, Any]] = {}

        def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> dict[str, Any]:
            parts = urlsplit(url)
            key = (parts.scheme, parts.netloc, tuple(sorted((proxies or {}).items())), stream, verify, cert)
            try:
                settled = self._settled.get(key)
            except TypeError:  # an argument that cannot be a key (a verify context): ask requests every time
                return super().merge_environment_settings(url, proxies, stream, verify, cert)
            if settled is None:
                settled = self._settled[key] = super().merge_environment_settings(url, proxies, stream, verify, cert)
            return {**settled, "proxies": dict(settled["proxies"])}  # a copy: the caller may change what it is given

    session = EnvironmentReadOnce()
    session.auth = PipelineCredentialOnly()
    session.mount("https://", VerifyWithContext(pool_connections=4, pool_maxsize=pool_size))
    return session


class AzureSession:
    """The credential and the ASR, network and compute clients of one collection; close() when done."""

    def __init__(self, settings: Azure, secret: str | None, pool_size: int):
        # Imported here, all at once before the first call: importing a client module inside a worker would hold the
        # other workers on the import lock for a second.
        from azure.mgmt.compute import ComputeManagementClient
        from azure.mgmt.network import NetworkManagementClient
        from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient

        from failback.checks.sources.azure_retry import BoundedRetryPolicy

        # Retry-After is waited for at most one request timeout (see azure_retry).
        self._retry_policy_class = functools.partial(BoundedRetryPolicy, retry_after_max=settings.timeout_seconds)
        self._client_types = {"compute": ComputeManagementClient, "network": NetworkManagementClient}
        self.settings = settings
        self.credential_description = describe_credential(settings)
        self._http = _http_session(trust(settings.ca_file), pool_size)
        self._clients: list[Any] = []
        self.budget = ArmRequestBudget(settings.arm_reads_per_second, settings.timeout_seconds)  # shared by every ARM client of the session
        self._by_subscription: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self.credential = self._make_credential(secret)
        self.asr = self._client(SiteRecoveryManagementClient, settings.subscription_id)
        self._reads = self._read_pipeline()

    # -- settings shared by every HTTP call ------------------------------------------------------------------------------
    @property
    def arm_endpoint(self) -> str:
        return self.settings.arm_endpoint.rstrip("/")

    @property
    def scope(self) -> str:
        return (self.settings.audience or self.arm_endpoint).rstrip("/") + "/.default"

    def _transport(self) -> Any:
        """A transport over the shared session: its connection pool and its trust; the session outlives each client."""
        from azure.core.pipeline.transport import RequestsTransport

        timeout = self.settings.timeout_seconds
        return RequestsTransport(session=self._http, session_owner=False, connection_verify=True,
                                 connection_timeout=min(timeout, CONNECT_TIMEOUT_CAP_SECONDS), read_timeout=timeout)

    def _retry_options(self) -> dict[str, Any]:
        return {"retry_total": self.settings.retry_total, "retry_backoff_factor": self.settings.retry_backoff_seconds}

    # -- credential --------------------------------------------------------------------------------------------------------
    def _make_credential(self, secret: str | None) -> Any:
        from azure import identity

        settings = self.settings
        kind = credential_kind(settings)
        options = {"transport": self._transport(), **self._retry_options()}
        authority = settings.authority.rstrip("/")
        custom_authority = urlsplit(authority).hostname not in MICROSOFT_AUTHORITY_HOSTS
        if kind == "client_secret":
            if not secret:
                raise SourceError("config", f"no client secret: the environment variable {settings.client_secret_env} is empty")
            # Only this credential takes our retry policy: managed identity brings its own for IMDS, and refuses a second.
            return identity.ClientSecretCredential(settings.tenant_id, settings.client_id, secret, authority=authority,
                                                   disable_instance_discovery=custom_authority,
                                                   retry_policy_class=self._retry_policy_class, **options)
        if kind == "managed_identity":
            return identity.ManagedIdentityCredential(client_id=settings.client_id, **options)
        if kind == "azure_cli":
            return identity.AzureCliCredential(tenant_id=settings.tenant_id, process_timeout=int(settings.timeout_seconds))
        return identity.DefaultAzureCredential(authority=authority, managed_identity_client_id=settings.client_id,
                                               disable_instance_discovery=custom_authority, **options)

    def sign_in(self) -> None:
        """Get the first token now, in one thread: a wrong secret is reported once, naming the credential tried."""
        try:
            self.credential.get_token(self.scope)
        except Exception as exc:
            raise describe_sign_in_failure(exc, self.credential_description, self.settings) from None

    # -- clients -------------------------------------------------------------------------------------------------------------
    def _client(self, client_type: type, subscription_id: str) -> Any:
        client = client_type(
            self.credential,
            subscription_id,
            base_url=self.arm_endpoint,
            credential_scopes=[self.scope],
            transport=self._transport(),
            polling_interval=self.settings.poll_interval_seconds,
            retry_policy=self._retry_policy_class(**self._retry_options()),
            per_retry_policies=[self.budget.policy()],  # every attempt, retries included, takes a token
        )
        self._clients.append(client)
        return client

    def _read_pipeline(self) -> Any:
        """The pipeline of `read`: azure-core's, with the policies a GET needs (request id, user agent, our retry, ARM's
        bearer-token challenge) over the same transport, and none of the SDK operation's model building. A large vault
        reads one instance view per VM and one recovery-point list per item, and lists a thousand protected items whose
        models alone cost a tenth of the client's CPU: measured on such a vault, the operation layer took a fifth of it
        (bench/azure_preflight.py, docs/performance.md)."""
        from azure.core import PipelineClient
        from azure.core.pipeline.policies import RequestIdPolicy, UserAgentPolicy
        from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

        policies = [RequestIdPolicy(), UserAgentPolicy(sdk_moniker="failback"), self._retry_policy_class(**self._retry_options()),
                    self.budget.policy(), ARMChallengeAuthenticationPolicy(self.credential, self.scope)]
        client = PipelineClient(base_url=self.arm_endpoint, policies=policies, transport=self._transport())
        self._clients.append(client)
        return client

    def read(self, resource_path: str, api_version: str) -> Any:
        """GET one ARM resource as JSON: its path (an id, or an id and a child such as /instanceView). Failures are
        raised as the SDKs' operations raise them: azure-core's mapped errors, carrying ARM's error code and message."""
        return self._get(f"{self.arm_endpoint}{resource_path}?api-version={quote(api_version)}")

    def read_list(self, resource_path: str, api_version: str) -> Iterator[Any]:
        """Every entry of an ARM list, as its pages arrive: ARM's nextLink is a full URL with api-version and skip token."""
        page = self.read(resource_path, api_version)
        yield from page.get("value") or []
        while next_link := page.get("nextLink"):
            if urlsplit(next_link)[:2] != urlsplit(self.arm_endpoint)[:2]:
                raise SourceError("error", f"Azure gave the next page of {resource_path} on another host than "
                                           f"{self.arm_endpoint}: {urlsplit(next_link).netloc}")
            page = self._get(next_link)
            yield from page.get("value") or []

    def _get(self, url: str) -> Any:
        from azure.core import exceptions
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.exceptions import ARMErrorFormat

        response = self._reads.send_request(HttpRequest("GET", url))
        if response.status_code != 200:
            # As the generated operations map ARM's statuses; any other is an HttpResponseError.
            error_map = {401: exceptions.ClientAuthenticationError, 404: exceptions.ResourceNotFoundError,
                         409: exceptions.ResourceExistsError, 304: exceptions.ResourceNotModifiedError}
            exceptions.map_error(status_code=response.status_code, response=response, error_map=error_map)
            raise exceptions.HttpResponseError(response=response, error_format=ARMErrorFormat)
        return response.json()

    def network(self, subscription_id: str) -> Any:
        """The network client of a subscription: a hub's VPN gateway often lives in another one than the vault."""
        return self._of_subscription("network", subscription_id)

    def compute(self, subscription_id: str) -> Any:
        return self._of_subscription("compute", subscription_id)

    def _of_subscription(self, kind: str, subscription_id: str) -> Any:
        key = (kind, subscription_id.lower())
        with self._lock:
            if key not in self._by_subscription:
                self._by_subscription[key] = self._client(self._client_types[kind], subscription_id)
            return self._by_subscription[key]

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._http.close()
        close_credential = getattr(self.credential, "close", None)
        if close_credential is not None:
            close_credential()
