"""Azure's exceptions as SourceErrors: what was asked for and what went wrong, in words, without a traceback.

Messages name the resource (vault, resource group, connection...) as the site file does and carry Azure's own error
code and first line; they never carry a secret or a token (Azure's messages hold neither).
"""

from __future__ import annotations

import re

from failback.checks.site import Azure
from failback.checks.sources.errors import SourceError

# Answers azure-core's RetryPolicy retries before giving up.
RETRIED_STATUSES = {408, 429, 500, 502, 503, 504}
_ARM_DETAILS_LINK = re.compile(r"\s*For more details please go to \S+")


def _first_line(text: str) -> str:
    return _ARM_DETAILS_LINK.sub("", (text or "").strip().splitlines()[0] if (text or "").strip() else "").strip()


def _arm_error(exc: Exception) -> tuple[str, str]:
    """(code, message) of an ARM error answer."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None) or ""
    message = getattr(error, "message", None) or getattr(exc, "message", None) or str(exc)
    message = re.sub(r"^\(\w+\)\s*", "", _first_line(message))
    return code, message


def describe_failure(exc: Exception, what: str, settings: Azure) -> SourceError:
    """The SourceError for a failed call about `what` ("VPN connection 'cn-onprem' in resource group 'rg'")."""
    from azure.core import exceptions as azure

    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, azure.ClientAuthenticationError):
        code, message = _arm_error(exc)
        return SourceError("auth", f"{what}: Azure refused the sign-in ({code or 'HTTP 401'}): {message}")
    if isinstance(exc, azure.ResourceNotFoundError):
        code, message = _arm_error(exc)
        return SourceError("not_found", f"{what} was not found: {message}", {"code": code})
    if isinstance(exc, (azure.ServiceRequestTimeoutError, azure.ServiceResponseTimeoutError)):
        return SourceError("timeout", f"{what}: Azure did not answer within {settings.timeout_seconds:g} s")
    if isinstance(exc, azure.HttpResponseError) and exc.status_code is not None:
        code, message = _arm_error(exc)
        status = exc.status_code
        label = f"HTTP {status}" + (f" {code}" if code else "")
        if status == 403:
            return SourceError("auth", f"{what}: the signed-in identity may not read it ({label}): {message}", {"code": code})
        retried = f" after {settings.retry_total} retries" if status in RETRIED_STATUSES and settings.retry_total else ""
        return SourceError("error", f"{what}: Azure answered {label}{retried}: {message}", {"code": code, "status": status})
    if isinstance(exc, azure.ServiceRequestError):
        reason = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in reason:
            return SourceError("untrusted", f"{what}: the server's TLS certificate is not trusted (certificate verify failed); "
                                            "give its CA in [azure] ca_file if a proxy or private endpoint re-signs the traffic")
        return SourceError("unreachable", f"{what}: cannot reach {settings.arm_endpoint}: {_first_line(reason)}")
    if isinstance(exc, (azure.ServiceResponseError, azure.IncompleteReadError)):  # the latter: cut short mid-answer
        return SourceError("unreachable", f"{what}: the connection to {settings.arm_endpoint} broke: {_first_line(str(exc))}")
    if isinstance(exc, azure.AzureError):
        return SourceError("error", f"{what}: {_first_line(str(exc)) or type(exc).__name__}")
    return SourceError("error", f"{what}: unexpected {type(exc).__name__}: {_first_line(str(exc))}")


def describe_sign_in_failure(exc: Exception, credential: str, settings: Azure) -> SourceError:
    """Why the first token could not be had, naming the credential tried (never its secret)."""
    from azure.core import exceptions as azure

    # MSAL wraps a connection that failed (refused, untrusted) in an authentication error: judge the connection.
    transport = _cause_of_type(exc, (azure.ServiceRequestError, azure.ServiceResponseError))
    if transport is not None:
        exc = transport
    if isinstance(exc, azure.ClientAuthenticationError):
        reason = _first_line(getattr(exc, "message", None) or str(exc))
        return SourceError("auth", f"Azure sign-in with {credential} failed: {reason}", {"credential": credential.split(" ")[0]})
    if isinstance(exc, azure.ServiceRequestError) and "CERTIFICATE_VERIFY_FAILED" not in str(exc):
        return SourceError("unreachable", f"Azure sign-in with {credential} failed: cannot reach the authority "
                                          f"{settings.authority}: {_first_line(str(exc))}")
    return describe_failure(exc, f"Azure sign-in with {credential}", settings)


def _cause_of_type(exc: BaseException, types: tuple[type, ...]) -> BaseException | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, types):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def failure_record(exc: Exception, what: str, settings: Azure) -> dict[str, str]:
    """A failure that concerns one resource only, kept in the facts where that resource's facts would be."""
    error = describe_failure(exc, what, settings)
    return {"kind": error.kind, "reason": error.reason}
