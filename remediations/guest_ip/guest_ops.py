"""VMware Tools guest operations over pyVmomi: copy a file in, run it, wait for it, copy its log out.

File transfers go over HTTPS to the URL vCenter hands out, verified with the same trust as the vCenter session;
every call has a timeout. Faults become GuestOpsError with a kind the caller turns into advice.
"""

from __future__ import annotations

import codecs
import http.client
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from failback.checks.site import VCenter
from failback.checks.sources import tls
from failback.checks.sources.errors import SourceError


POWERSHELL = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"


class GuestOpsError(Exception):
    """kind: "unavailable" (VM off, Tools not running), "login" (guest credentials refused), "timeout", "failed"."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


@dataclass(frozen=True)
class GuestLogin:
    user: str
    password: str = field(repr=False)  # never in a repr, a log line or an error message


def transfer_context(settings: VCenter) -> ssl.SSLContext:
    """The trust of the vCenter session, for the transfer URLs: the CA file or system store, or the pin (checked after connecting)."""
    if settings.insecure or settings.thumbprint:
        return ssl._create_unverified_context()
    try:
        return tls.verifying_context(settings.ca_file)
    except SourceError as exc:
        raise GuestOpsError("failed", exc.reason) from None


class GuestOperations:
    """Guest operations on one VM, through a logged-in vCenter session."""

    def __init__(self, si: Any, vm: Any, login: GuestLogin, settings: VCenter, sleep: Callable[[float], None] = time.sleep):
        from pyVmomi import vim

        manager = si.RetrieveContent().guestOperationsManager
        self._files, self._processes = manager.fileManager, manager.processManager
        self._vm, self._settings, self._sleep = vm, settings, sleep
        self._auth = vim.vm.guest.NamePasswordAuthentication(username=login.user, password=login.password, interactiveSession=False)
        self._user = login.user

    def ensure_ready(self) -> None:
        """vCenter refuses guest operations on a VM that is off or whose Tools do not run: say so before trying."""
        power = str(self._call("reading the VM's state", lambda: self._vm.runtime.powerState))
        tools = str(self._call("reading the VM's state", lambda: self._vm.guest.toolsRunningStatus))
        if power != "poweredOn":
            raise GuestOpsError("unavailable", f"the VM is {power}")
        if tools != "guestToolsRunning":
            raise GuestOpsError("unavailable", f"VMware Tools do not run in the guest ({tools})")

    def upload(self, guest_path: str, content: bytes, permissions: int = 0o600) -> None:
        """Replace the file with this content, readable by the guest account only (a script may name the network's secrets)."""
        from pyVmomi import vim

        url = self._call(f"copying {guest_path} into the guest", lambda: self._files.InitiateFileTransferToGuest(
            vm=self._vm, auth=self._auth, guestFilePath=guest_path, fileAttributes=vim.vm.guest.FileManager.PosixFileAttributes(permissions=permissions),
            fileSize=len(content), overwrite=True))
        self._transfer("PUT", url, content, f"copying {guest_path} into the guest")

    def download(self, guest_path: str) -> bytes:
        info = self._call(f"copying {guest_path} out of the guest",
                          lambda: self._files.InitiateFileTransferFromGuest(vm=self._vm, auth=self._auth, guestFilePath=guest_path))
        return self._transfer("GET", info.url, None, f"copying {guest_path} out of the guest")

    def delete(self, guest_path: str) -> None:
        self._call(f"deleting {guest_path} in the guest", lambda: self._files.DeleteFileInGuest(vm=self._vm, auth=self._auth, filePath=guest_path))

    def run(self, program: str, arguments: str, timeout: float) -> int:
        """Start the program and wait for its exit code; past the timeout it is terminated and this raises."""
        from pyVmomi import vim

        spec = vim.vm.guest.ProcessManager.ProgramSpec(programPath=program, arguments=arguments)
        pid = self._call(f"starting {program}", lambda: self._processes.StartProgramInGuest(vm=self._vm, auth=self._auth, spec=spec))
        deadline = time.monotonic() + timeout
        while True:
            found = self._call("following the program", lambda: self._processes.ListProcessesInGuest(vm=self._vm, auth=self._auth, pids=[pid]))
            if found and found[0].exitCode is not None and found[0].endTime is not None:
                return int(found[0].exitCode)
            if not found:
                raise GuestOpsError("failed", f"the guest lost track of process {pid} ({program})")
            if time.monotonic() > deadline:
                try:
                    self._processes.TerminateProcessInGuest(vm=self._vm, auth=self._auth, pid=pid)
                except Exception:  # it may have ended meanwhile; the timeout is what the operator needs to know
                    pass
                raise GuestOpsError("timeout", f"{program} {arguments} still ran after {timeout:g} s and was stopped")
            self._sleep(0.5)

    def run_script(self, stem: str, script: str, windows: bool, timeout: float, keep: bool = True) -> tuple[int, str]:
        """Copy a script in, run it with its output in a log, read the log: (exit code, output). Unless kept, the script
        and its log are deleted afterwards (a leftover in the guest's temp directory is not worth failing for)."""
        if windows:
            script_path, log_path = rf"C:\Windows\Temp\{stem}.ps1", rf"C:\Windows\Temp\{stem}.log"
            # With a BOM: Windows PowerShell 5.1 reads a BOM-less script in the ANSI code page, garbling a non-ASCII alias.
            self.upload(script_path, codecs.BOM_UTF8 + script.encode("utf-8"))
            code = self.run(POWERSHELL, f"-NoProfile -NonInteractive -ExecutionPolicy Bypass -Command \"& '{script_path}' *> '{log_path}'\"", timeout)
        else:
            script_path, log_path = f"/tmp/{stem}.sh", f"/tmp/{stem}.log"
            self.upload(script_path, script.encode("utf-8"))
            # vmtoolsd runs this through /bin/sh -c: the redirection and FAILBACK_ROOT expand there.
            code = self.run("/bin/sh", f'"${{FAILBACK_ROOT:-}}{script_path}" > "${{FAILBACK_ROOT:-}}{log_path}" 2>&1', timeout)
        output = decode_log(self.download(log_path))
        if not keep:
            for path in (script_path, log_path):
                try:
                    self.delete(path)
                except GuestOpsError:
                    pass
        return code, output

    # -- faults and transfers --------------------------------------------------------------------------------------
    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        from pyVmomi import vim, vmodl

        try:
            return call()
        except vim.fault.InvalidGuestLogin:
            raise GuestOpsError("login", f"the guest refused the login of {self._user}: wrong user or password") from None
        except (vim.fault.GuestOperationsUnavailable, vim.fault.ToolsUnavailable, vim.fault.InvalidPowerState) as exc:
            raise GuestOpsError("unavailable", f"{what}: guest operations are unavailable ({exc.msg or type(exc).__name__})") from None
        except vim.fault.GuestPermissionDenied as exc:
            raise GuestOpsError("login", f"{what}: {self._user} may not do this in the guest ({exc.msg or 'permission denied'})") from None
        except vim.fault.NoPermission as exc:
            raise GuestOpsError("failed", f"{what}: the vCenter account lacks the privilege {exc.privilegeId} (Virtual machine > Guest operations)") from None
        except (socket.timeout, TimeoutError):
            raise GuestOpsError("timeout", f"{what}: vCenter did not answer within {self._settings.timeout_seconds:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            raise GuestOpsError("failed", f"{what}: connection to vCenter lost: {exc}") from None
        except vmodl.MethodFault as exc:
            raise GuestOpsError("failed", f"{what}: {exc.msg or type(exc).__name__}") from None

    def _transfer(self, method: str, url: str, body: bytes | None, what: str) -> bytes:
        parsed = urllib.parse.urlsplit(url)
        host = parsed.hostname
        port = parsed.port or 443
        if host in (None, "*"):  # ESXi's way of saying "the host you asked": here, vCenter
            host, port = self._settings.host, self._settings.port
        timeout = self._settings.timeout_seconds
        connection = http.client.HTTPSConnection(host, port, context=transfer_context(self._settings), timeout=timeout)
        try:
            connection.connect()
            if self._settings.thumbprint and not self._settings.insecure:
                certificate = tls.PeerCertificate(connection.sock.getpeercert(binary_form=True) or b"")
                if not certificate.matches(self._settings.thumbprint):
                    raise GuestOpsError("failed", f"{what}: {host}:{port} does not present the pinned certificate (it presents SHA-256 {certificate.sha256})")
            target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(body))} if body is not None else {}
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            if response.status != 200:
                raise GuestOpsError("failed", f"{what}: {host}:{port} answered HTTP {response.status} {response.reason}")
            return data
        except ssl.SSLCertVerificationError as exc:
            raise GuestOpsError("failed", f"{what}: the certificate of {host}:{port} is not trusted ({exc.verify_message})") from None
        except (socket.timeout, TimeoutError):
            raise GuestOpsError("timeout", f"{what}: {host}:{port} did not answer within {timeout:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            raise GuestOpsError("failed", f"{what}: {host}:{port}: {exc}") from None
        finally:
            connection.close()


def decode_log(data: bytes) -> str:
    """Windows PowerShell 5.1's *> (Out-File) writes UTF-16LE with a BOM; the Linux scripts' logs are UTF-8."""
    if data.startswith(codecs.BOM_UTF16_LE):
        return data[len(codecs.BOM_UTF16_LE):].decode("utf-16-le", "replace")
    return data.decode("utf-8-sig", "replace")
