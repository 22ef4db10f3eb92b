"""The SSH source: every Linux master target of the site described at once, one connection each, concurrently.

A master target that cannot be reached or trusted is a fact about that master target (its `connection`), not a failure
of the source: the others are still described.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from failback.checks.site import MasterTarget, Site
from failback.checks.sources.linux_host import describe_linux_host
from failback.checks.sources.ssh import SshFailure, SshSession, master_target_access


class MasterTargetSource:
    name = "ssh"

    def __init__(self, site: Site, secrets: Mapping[str, str]):
        self._site = site
        self._secrets = secrets

    def collect(self) -> dict[str, Any]:
        linux = [mt for mt in self._site.master_targets if mt.os == "linux"]
        if not linux:
            return {"master_targets": {}}
        with ThreadPoolExecutor(max_workers=min(len(linux), 16), thread_name_prefix="ssh") as pool:
            described = list(pool.map(self._describe, linux))
        return {"master_targets": {mt.name: facts for mt, facts in zip(linux, described)}}

    def _describe(self, master_target: MasterTarget) -> dict[str, Any]:
        access = master_target_access(master_target)
        facts: dict[str, Any] = {"access": access.describe()}
        try:
            with SshSession(access, self._secrets) as session:
                facts["connection"] = {"ok": True, "host_key": session.host_key}
                facts.update(describe_linux_host(session))
        except SshFailure as failure:
            facts["connection"] = failure.as_fact()
        return facts
