"""ASR error codes -> our remediation for them. ASR's own text (message, possible causes, recommended action) is shown
first; this says what to do in the failback's terms. Codes without an entry fall back to the check's remediation."""

from __future__ import annotations

from collections.abc import Iterable

REMEDIATION_FOR_CODE = {
    "78093": "start-azure-vm",  # the Azure VM is not running, hung or not reachable
    "95226": "azure-vm-reach-config-server",  # the Azure VM cannot reach the configuration server / the Scout service is stopped
    "78052": "resolve-name-clash",  # a VM of the same name is on the master target's host
    "8061": "mount-datastore",  # the datastore is not accessible from the host
    "8038": "free-host-memory",  # not enough memory on the host to power the VM on
    "806": "restore-process-server-health",  # no heartbeat from the process server
    "78186": "reach-process-server",  # the process server is unreachable
    "78028": "fix-upload-failures",  # uploads from the process server to Azure fail
}


def remediation_for(codes: Iterable[str | int | None]) -> str | None:
    """Our remediation for the first of these ASR error codes we know."""
    for code in codes:
        if code is not None and str(code) in REMEDIATION_FOR_CODE:
            return REMEDIATION_FOR_CODE[str(code)]
    return None
