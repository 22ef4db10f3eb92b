"""What a Linux guest says about NetworkManager: a read-only probe script and the pure parse of what it prints.

The probe prints tab-separated facts: whether the daemon is installed and enabled, and what configures the network
(NetworkManager's connection profiles, netplan and its renderer, ifcfg files and the legacy network service,
/etc/network/interfaces), so the check can tell a guest that needs NetworkManager from one that never used it.
"""

from __future__ import annotations

from typing import Any

NETWORK_MANAGER_PROBE = r"""#!/bin/sh
# failback: read-only probe of NetworkManager in the guest (changes nothing)
root="${FAILBACK_ROOT:-}"
for path in /usr/sbin/NetworkManager /sbin/NetworkManager /usr/bin/NetworkManager; do
  if [ -x "$root$path" ]; then printf 'daemon\t%s\n' "$path"; break; fi
done
if command -v systemctl >/dev/null 2>&1; then
  printf 'enabled\t%s\n' "$(systemctl is-enabled NetworkManager.service 2>/dev/null | tail -n 1)"
  printf 'active\t%s\n' "$(systemctl is-active NetworkManager.service 2>/dev/null | tail -n 1)"
  printf 'legacy\t%s\n' "$(systemctl is-enabled network.service 2>/dev/null | tail -n 1)"
fi
for file in "$root"/etc/NetworkManager/system-connections/*; do
  if [ -f "$file" ]; then printf 'profile\t%s\n' "${file##*/}"; fi
done
for file in "$root"/etc/netplan/*.yaml; do
  if [ -f "$file" ]; then
    renderer=$(sed -n 's/^[[:space:]]*renderer:[[:space:]]*\([A-Za-z]*\).*/\1/p' "$file" | head -n 1)
    printf 'netplan\t%s\t%s\n' "${file##*/}" "${renderer:-networkd}"
  fi
done
for file in "$root"/etc/sysconfig/network-scripts/ifcfg-*; do
  if [ -f "$file" ] && [ "${file##*/}" != ifcfg-lo ]; then printf 'ifcfg\t%s\n' "${file##*/}"; fi
done
if [ -r "$root/etc/network/interfaces" ]; then
  while read -r keyword name family method rest; do
    if [ "$keyword" = iface ] && [ "$name" != lo ]; then printf 'iface\t%s\t%s\n' "$name" "$method"; fi
  done < "$root/etc/network/interfaces"
fi
exit 0
"""


def parse_network_manager_probe(output: str) -> dict[str, Any]:
    """The probe's lines as facts; a unit systemctl does not know is "not-found", and without systemd (no such lines)
    whether a unit starts at boot is "unknown"."""
    facts: dict[str, Any] = {"daemon": None, "enabled": "unknown", "active": "unknown", "legacy_network": "unknown",
                             "profiles": [], "netplan": [], "ifcfg": [], "interfaces": []}
    for line in output.splitlines():
        kind, _, rest = line.rstrip("\r").partition("\t")
        fields = rest.split("\t")
        if kind == "daemon" and rest:
            facts["daemon"] = rest
        elif kind in ("enabled", "active", "legacy"):
            facts["legacy_network" if kind == "legacy" else kind] = rest.strip() or "not-found"
        elif kind == "profile" and rest:
            facts["profiles"].append(rest)
        elif kind == "netplan" and len(fields) == 2:
            facts["netplan"].append({"file": fields[0], "renderer": fields[1]})
        elif kind == "ifcfg" and rest:
            facts["ifcfg"].append(rest)
        elif kind == "iface" and len(fields) == 2:
            facts["interfaces"].append({"name": fields[0], "method": fields[1]})
    return facts
