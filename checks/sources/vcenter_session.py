"""A session with vCenter: the certificate checked as the site file says, login, timeouts, and faults told apart.

Shared by the vCenter source, which reads, and by the fixes, which change things with the operator's consent.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from failback.checks.site import VCenter
from failback.checks.sources import tls
from failback.checks.sources.errors import SourceError

log = logging.getLogger(__name__)

# Faults of the connection itself, as pyVmomi lets them through: timeouts, resets, TLS errors, a truncated HTTP answer.
CONNECTION_FAULTS = (OSError, http.client.HTTPException)

# vSphere 6.5's API: the oldest vCenter modernized ASR supports, and the first with FetchUserPrivilegeOnEntities.
API_VERSION = "vim.version.version11"


@dataclass
class Session:
    si: Any  # vim.ServiceInstance
    trust: dict[str, Any]  # how the certificate was verified, and its thumbprint


@contextmanager
def vcenter_session(settings: VCenter, password: str) -> Iterator[Session]:
    """Log in, yield the session, log out; any fault inside, login or later, becomes a SourceError with a reason."""
    try:
        si, trust = _connect(settings, password)
        try:
            yield Session(si, trust)
        except CONNECTION_FAULTS:
            # The connection is dead or hung: a logout would only wait out one more timeout; the server ends the session.
            raise
        except BaseException:
            _logout(si, settings.host)
            raise
        _logout(si, settings.host)
    except SourceError:
        raise
    except Exception as exc:
        raise _describe(exc, settings) from None


def _describe(exc: Exception, settings: VCenter) -> SourceError:
    """Any fault, login or later, as a SourceError telling a timeout, a lost connection and a server's refusal apart."""
    from pyVmomi import vim

    # pyVmomi's Connect wraps a connection that fails during its first call in HostConnectFault: the cause tells how.
    if isinstance(exc, vim.fault.HostConnectFault) and isinstance(exc.__context__, CONNECTION_FAULTS):
        exc = exc.__context__
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return SourceError("timeout", f"vCenter {settings.host} stopped answering within {settings.timeout_seconds:g} s")
    if isinstance(exc, CONNECTION_FAULTS):
        return SourceError("unreachable", f"vCenter {settings.host}: connection lost: {exc}")
    # A vmodl fault or a surprise of the server: report it, never crash the run.
    message = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
    return SourceError("error", f"vCenter {settings.host}: {message}")


def _logout(si: Any, host: str) -> None:
    from pyVim import connect

    try:
        connect.Disconnect(si)
    except Exception:  # logging out of a server that went away must not hide what the session did
        log.debug("logout from %s failed", host, exc_info=True)


def _connect(settings: VCenter, password: str) -> tuple[Any, dict[str, Any]]:
    from pyVim import connect
    from pyVmomi import vim

    timeout = settings.timeout_seconds
    certificate = tls.fetch_certificate(settings.host, settings.port, timeout)
    trust: dict[str, Any] = {"thumbprint_sha256": certificate.sha256}
    pinned = None
    if settings.insecure:
        log.warning("vCenter %s: certificate verification is OFF (insecure = true in the site file)", settings.host)
        context = ssl._create_unverified_context()
        trust["verified_by"] = "nothing (insecure = true)"
    elif settings.thumbprint:
        if not certificate.matches(settings.thumbprint):
            raise SourceError(
                "untrusted",
                f"the certificate of {settings.host}:{settings.port} does not match the pinned thumbprint: it "
                f"presents SHA-256 {certificate.sha256}",
                evidence={"thumbprint_sha256": certificate.sha256, "pinned": settings.thumbprint},
            )
        # pyVmomi checks the pin again on the connection it really uses.
        context = ssl.create_default_context()
        pinned = settings.thumbprint
        trust["verified_by"] = "pinned thumbprint"
    else:
        context = tls.verifying_context(settings.ca_file)
        tls.verify_trust(settings.host, settings.port, context, certificate, timeout)
        trust["verified_by"] = f"ca_file {settings.ca_file}" if settings.ca_file else "system trust store"
    try:
        si = connect.Connect(
            host=settings.host,
            port=settings.port,
            user=settings.user,
            pwd=password,
            version=API_VERSION,
            sslContext=context,
            thumbprint=pinned,
            httpConnectionTimeout=int(max(1, timeout)),
        )
    except vim.fault.InvalidLogin:
        raise SourceError("auth", f"vCenter {settings.host} refused the login of {settings.user}: wrong user or password") from None
    except vim.fault.NoPermission as exc:
        raise SourceError("auth", f"vCenter {settings.host}: {settings.user} may not log in ({exc.msg})") from None
    return si, trust



def vms_named(si: Any, name: str) -> list[Any]:
    """The VMs of that name, found through one PropertyCollector retrieval (no lazy reads)."""
    from pyVmomi import vim, vmodl

    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        traverse = vmodl.query.PropertyCollector.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[traverse])],
            propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
        )
        return [item.obj for item in content.propertyCollector.RetrieveContents([spec]) if item.propSet[0].val == name]
    finally:
        view.DestroyView()
