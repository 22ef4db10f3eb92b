"""The simulated guest's network commands: nmcli, netplan, ifup/ifdown, systemctl and ip.

install_guest() copies this file into <root>/usr/lib/failback-sim/ and writes small stubs in
<root>/usr/bin and <root>/usr/sbin that call main(<command>, argv, root). It must therefore
need nothing but the standard library (and PyYAML, for netplan only).

The commands read the distribution's network configuration with real parsers, refuse what the
real tool would refuse (non-zero exit, error on stderr), and on "apply" (netplan apply, nmcli
connection up, ifup, systemctl restart network/networking/NetworkManager) write
<root>/run/failback-sim/guestinfo.json, the network the guest now has, which the lab vCenter
reports as guest.net / guest.ipStack (see GUESTINFO_SHAPE in lab/guest/__init__.py).

Guest-side state lives under the root:
    etc/failback-sim/image.json        distribution, interface, MAC and the DHCP lease it would get
    run/failback-sim/guestinfo.json    the network as it is now
    run/failback-sim/nm-loaded/        NetworkManager's in-memory profiles (keyfiles as last loaded)
    run/failback-sim/nm-active.json    which NetworkManager profile is active on the interface
    etc/failback-sim/units.json        installed systemd units: "enabled" or "disabled" (NetworkManager's may be gone)
    run/network/ifstate.<interface>    ifupdown's "configured" mark (Debian)
    var/log/failback-sim/commands.log  every command run, one shell-quoted line each
"""

from __future__ import annotations

import configparser
import fnmatch
import glob
import ipaddress
import json
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

IMAGE_FILE = "etc/failback-sim/image.json"
GUESTINFO_FILE = "run/failback-sim/guestinfo.json"
COMMANDS_LOG = "var/log/failback-sim/commands.log"
NM_CONNECTIONS_DIR = "etc/NetworkManager/system-connections"
NM_LOADED_DIR = "run/failback-sim/nm-loaded"
NM_ACTIVE_FILE = "run/failback-sim/nm-active.json"
IFCFG_DIR = "etc/sysconfig/network-scripts"
INTERFACES_FILE = "etc/network/interfaces"
UNITS_FILE = "etc/failback-sim/units.json"  # installed systemd units and whether they are enabled


class CommandError(Exception):
    """Ends a command: message to stderr, exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class Guest:
    """The guest root and its one network interface."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        image = json.loads(self.path(IMAGE_FILE).read_text())
        self.image: dict[str, Any] = image
        self.windows = image.get("os") == "windows"
        self.distro: str = image["distro"]
        self.interface: str = image["interface"]
        self.mac: str = image["mac"].lower()
        self.lease: dict[str, Any] = image["lease"]

    def path(self, guest_path: str) -> Path:
        return self.root / guest_path.lstrip("/")

    def display(self, path: Path) -> str:
        """A host path under the root as the guest sees it."""
        return "/" + str(path.relative_to(self.root))

    # --- the network as it is now

    def current(self) -> dict[str, Any]:
        try:
            info = json.loads(self.path(GUESTINFO_FILE).read_text())
        except (OSError, ValueError):
            info = {"interfaces": [], "gateway": "", "dns": []}
        if not info.get("interfaces"):
            info["interfaces"] = [{"name": self.interface, "mac": self.mac, "dhcp": False, "addresses": []}]
        return info

    def write_network(self, addresses: list[dict[str, Any]], dhcp: bool, gateway: str, dns: list[str]) -> None:
        """Record the interface's new network (what Tools will report) and resolv.conf."""
        hostname_file = self.path("/etc/hostname")
        info: dict[str, Any] = {
            "interfaces": [{"name": self.interface, "mac": self.mac, "dhcp": dhcp, "addresses": addresses}],
            "gateway": gateway,
            "dns": dns,
        }
        if hostname_file.exists():
            info["hostname"] = hostname_file.read_text().strip()
        atomic_write(self.path(GUESTINFO_FILE), json.dumps(info, indent=2) + "\n")
        if self.windows:
            return  # Windows keeps its DNS servers per adapter, in the registry: no resolv.conf
        resolv = "".join(f"nameserver {server}\n" for server in dns)
        atomic_write(self.path("/etc/resolv.conf"), "# written by the simulated guest's network service\n" + resolv)

    def write_down(self) -> None:
        self.write_network([], False, "", [])

    def lease_addresses(self) -> list[dict[str, Any]]:
        return [{"ip": self.lease["ip"], "prefix": self.lease["prefix"], "origin": "dhcp"}]

    def apply(self, *, dhcp: bool, static: list[ipaddress.IPv4Interface | ipaddress.IPv6Interface],
              gateway: str, dns: list[str], auto_routes: bool = True, auto_dns: bool = True) -> None:
        """Bring the interface up with static addresses and/or a DHCP lease."""
        addresses = [{"ip": str(a.ip), "prefix": a.network.prefixlen, "origin": "manual"} for a in static]
        servers = list(dns)
        if dhcp:
            addresses += self.lease_addresses()
            if not gateway and auto_routes:
                gateway = self.lease["gateway"]
            if auto_dns:
                servers += [d for d in self.lease["dns"] if d not in servers]
        self.write_network(addresses, dhcp, gateway, servers)


def atomic_write(path: Path, text: str, mode: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    if mode is not None:
        partial.chmod(mode)
    partial.replace(path)


def ipv4_interface(text: str, default_prefix: int | None = None) -> ipaddress.IPv4Interface:
    """"10.0.0.5/24" (or "10.0.0.5" with a default prefix) as an interface; ValueError otherwise."""
    if "/" not in text:
        if default_prefix is None:
            raise ValueError(f"address '{text}' is missing /prefixlength")
        text = f"{text}/{default_prefix}"
    address, _, prefix = text.partition("/")
    if not prefix.isdigit():
        raise ValueError(f"invalid prefix '{prefix}'")
    return ipaddress.IPv4Interface(f"{ipaddress.IPv4Address(address)}/{int(prefix)}")


def valid_ip(text: str) -> str:
    return str(ipaddress.ip_address(text))


# ----------------------------------------------------------------------------------- netplan


NETPLAN_DIRS = ["lib/netplan", "etc/netplan", "run/netplan"]  # later ones shadow same-named files
NETPLAN_ETHERNET_KEYS = {
    "dhcp4", "dhcp6", "addresses", "gateway4", "gateway6", "nameservers", "routes", "match", "set-name",
    "optional", "mtu", "macaddress", "dhcp4-overrides", "dhcp6-overrides", "accept-ra", "link-local",
    "renderer", "critical", "wakeonlan", "dhcp-identifier", "routing-policy", "ipv6-privacy",
}
NETPLAN_NETWORK_KEYS = {"version", "renderer", "ethernets", "bonds", "bridges", "vlans", "wifis", "tunnels", "modems", "vrfs", "nm-devices"}


def netplan_merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    """netplan's merge of a later file: mappings merge, sequences append, scalars are replaced."""
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            netplan_merge(into[key], value)
        elif isinstance(value, list) and isinstance(into.get(key), list):
            into[key] = into[key] + value
        else:
            into[key] = value


def netplan_bool(value: Any, where: str, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("y", "n"):
        return value.lower() == "y"
    raise CommandError(f"{where}: Error in network definition: invalid boolean value '{value}' for {key}")


def netplan_load(guest: Guest) -> dict[str, Any]:
    import yaml  # only netplan needs it

    files: dict[str, Path] = {}
    for directory in NETPLAN_DIRS:
        for path in sorted(guest.path(directory).glob("*.yaml")):
            files[path.name] = path
    merged: dict[str, Any] = {}
    warnings = []
    for name in sorted(files):
        path = files[name]
        shown = guest.display(path)
        if path.stat().st_mode & 0o077:
            warnings.append(f"** (generate:1): WARNING **: Permissions for {shown} are too open. "
                            "Netplan configuration should NOT be accessible by others.")
        try:
            document = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            place = f"{shown}:{mark.line + 1}:{mark.column + 1}" if mark else shown
            raise CommandError(f"{place}: Invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
        if document is None:
            continue
        if not isinstance(document, dict) or not isinstance(document.get("network"), dict):
            raise CommandError(f"{shown}: Error in network definition: expected a mapping with a 'network' key")
        netplan_validate(document["network"], shown)
        netplan_merge(merged, document)
    for warning in warnings:
        print(warning, file=sys.stderr)
    return merged.get("network", {})


def netplan_validate(network: dict[str, Any], where: str) -> None:
    for key in network:
        if key not in NETPLAN_NETWORK_KEYS:
            raise CommandError(f"{where}: Error in network definition: unknown key '{key}'")
    if "version" in network and network["version"] != 2:
        raise CommandError(f"{where}: Error in network definition: Only version 2 is supported")
    ethernets = network.get("ethernets") or {}
    if not isinstance(ethernets, dict):
        raise CommandError(f"{where}: Error in network definition: expected mapping (check indentation)")
    for name, definition in ethernets.items():
        if definition is None:
            continue
        if not isinstance(definition, dict):
            raise CommandError(f"{where}: Error in network definition: expected mapping (check indentation) for {name}")
        for key, value in definition.items():
            if key not in NETPLAN_ETHERNET_KEYS:
                raise CommandError(f"{where}: Error in network definition: unknown key '{key}'")
            if key in ("dhcp4", "dhcp6", "optional", "critical"):
                netplan_bool(value, where, key)
        for address in netplan_list(definition, "addresses", where):
            text = str(next(iter(address))) if isinstance(address, dict) else str(address)
            if "/" not in text:
                raise CommandError(f"{where}: Error in network definition: address '{text}' is missing /prefixlength")
            try:
                ipaddress.ip_interface(text)
            except ValueError:
                raise CommandError(f"{where}: Error in network definition: malformed address '{text}', "
                                   "must be X.X.X.X/NN or X:X:X:X:X:X:X:X/NN") from None
        if "gateway4" in definition:
            try:
                ipaddress.IPv4Address(str(definition["gateway4"]))
            except ValueError:
                raise CommandError(f"{where}: Error in network definition: invalid IPv4 address '{definition['gateway4']}'") from None
        nameservers = definition.get("nameservers") or {}
        if not isinstance(nameservers, dict):
            raise CommandError(f"{where}: Error in network definition: expected mapping for nameservers")
        for key in nameservers:
            if key not in ("addresses", "search"):
                raise CommandError(f"{where}: Error in network definition: unknown key '{key}'")
        for server in netplan_list(nameservers, "addresses", where):
            try:
                valid_ip(str(server))
            except ValueError:
                raise CommandError(f"{where}: Error in network definition: malformed address '{server}', "
                                   "must be X.X.X.X or X:X:X:X:X:X:X:X") from None
        for route in netplan_list(definition, "routes", where):
            if not isinstance(route, dict) or "to" not in route or "via" not in route:
                raise CommandError(f"{where}: Error in network definition: route must have 'to' and 'via'")
            try:
                valid_ip(str(route["via"]))
            except ValueError:
                raise CommandError(f"{where}: Error in network definition: invalid IP address '{route['via']}'") from None


def netplan_list(mapping: dict[str, Any], key: str, where: str) -> list[Any]:
    value = mapping.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise CommandError(f"{where}: Error in network definition: expected sequence for {key}")
    return value


def netplan_definition_for(guest: Guest, network: dict[str, Any]) -> dict[str, Any] | None:
    for name, definition in (network.get("ethernets") or {}).items():
        definition = definition or {}
        match = definition.get("match")
        if isinstance(match, dict):
            if "macaddress" in match and str(match["macaddress"]).lower() != guest.mac:
                continue
            if "name" in match and not fnmatch.fnmatch(guest.interface, str(match["name"])):
                continue
            return definition
        if name == guest.interface:
            return definition
    return None


def netplan_apply(guest: Guest, network: dict[str, Any]) -> None:
    definition = netplan_definition_for(guest, network)
    if definition is None:
        guest.write_down()  # no definition: networkd leaves the interface unconfigured
        return
    static = [ipaddress.ip_interface(next(iter(a)) if isinstance(a, dict) else str(a)) for a in definition.get("addresses") or []]
    gateway = str(definition.get("gateway4") or "")
    for route in definition.get("routes") or []:
        if str(route["to"]) in ("default", "0.0.0.0/0"):
            gateway = str(route["via"])
    nameservers = definition.get("nameservers") or {}
    overrides = definition.get("dhcp4-overrides") or {}
    guest.apply(
        dhcp=netplan_bool(definition.get("dhcp4", False), "netplan", "dhcp4"),
        static=static,
        gateway=gateway,
        dns=[str(s) for s in nameservers.get("addresses") or []],
        auto_routes=overrides.get("use-routes", True) is not False,
        auto_dns=overrides.get("use-dns", True) is not False,
    )


def netplan_render(guest: Guest, network: dict[str, Any]) -> None:
    """What `netplan generate` leaves for systemd-networkd, for whoever wants to look."""
    definition = netplan_definition_for(guest, network) or {}
    lines = ["[Match]", f"Name={guest.interface}", "", "[Network]"]
    if netplan_bool(definition.get("dhcp4", False), "netplan", "dhcp4"):
        lines.append("DHCP=ipv4")
    lines += [f"Address={a}" for a in definition.get("addresses") or []]
    if definition.get("gateway4"):
        lines.append(f"Gateway={definition['gateway4']}")
    lines += [f"DNS={s}" for s in (definition.get("nameservers") or {}).get("addresses") or []]
    atomic_write(guest.path(f"/run/systemd/network/10-netplan-{guest.interface}.network"), "\n".join(lines) + "\n")


def cmd_netplan(guest: Guest, args: list[str]) -> int:
    words = [a for a in args if a != "--debug"]
    if not words:
        raise CommandError("You need to specify a command\nusage: netplan [-h] [--debug]  ...", 1)
    command = words[0]
    if command == "generate":
        netplan_render(guest, netplan_load(guest))
        return 0
    if command == "apply":
        network = netplan_load(guest)
        netplan_render(guest, network)
        netplan_apply(guest, network)
        return 0
    if command == "get":
        import yaml

        print(yaml.safe_dump({"network": netplan_load(guest)}, default_flow_style=False).rstrip())
        return 0
    raise CommandError(f"netplan: error: argument : invalid choice: '{command}' (choose from 'apply', 'generate', 'get', ...)", 2)


# ------------------------------------------------------------------------- NetworkManager (nmcli)


NM_METHODS = ["auto", "link-local", "manual", "shared", "disabled"]
NM_ALIASES = {"ip4": "ipv4.addresses", "gw4": "ipv4.gateway", "ip6": "ipv6.addresses", "gw6": "ipv6.gateway"}
NM_PROPERTIES = {
    "connection.id", "connection.uuid", "connection.interface-name", "connection.autoconnect",
    "ipv4.method", "ipv4.addresses", "ipv4.gateway", "ipv4.dns", "ipv4.dns-search", "ipv4.ignore-auto-dns",
    "ipv4.never-default", "ipv6.method",
}


def new_keyfile() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True, delimiters=("=",), comment_prefixes=("#",))
    parser.optionxform = str  # keyfile keys are case-sensitive
    return parser


class NMProfile:
    """One NetworkManager connection profile, from its keyfile."""

    def __init__(self, path: Path, keyfile: configparser.ConfigParser) -> None:
        self.path, self.keyfile = path, keyfile

    def get(self, section: str, key: str, default: str = "") -> str:
        return self.keyfile.get(section, key, fallback=default)

    @property
    def id(self) -> str:
        return self.get("connection", "id") or self.path.stem

    @property
    def uuid(self) -> str:
        return self.get("connection", "uuid")

    @property
    def interface_name(self) -> str:
        return self.get("connection", "interface-name")

    def addresses(self) -> tuple[list[ipaddress.IPv4Interface], str]:
        """The static addresses, and the gateway (its own key or, as NM writes it, after address1)."""
        if not self.keyfile.has_section("ipv4"):
            return [], ""
        numbered = []
        for key, value in self.keyfile.items("ipv4"):
            suffix = key[len("address"):] if key.startswith("address") else key[len("addresses"):] if key.startswith("addresses") else None
            if suffix is None or not (suffix == "" or suffix.isdigit()):
                continue
            numbered.append((int(suffix or 0), value))
        addresses, gateway = [], self.get("ipv4", "gateway")
        for _, value in sorted(numbered):
            for item in value.rstrip(";").split(";"):
                address, _, embedded_gateway = item.partition(",")
                addresses.append(ipv4_interface(address.strip(), 32))
                if embedded_gateway and not gateway:
                    gateway = embedded_gateway.strip()
        if gateway:
            ipaddress.IPv4Address(gateway)
        return addresses, gateway

    def dns(self) -> list[str]:
        return [valid_ip(s.strip()) for s in self.get("ipv4", "dns").replace(",", ";").split(";") if s.strip()]

    def method(self) -> str:
        return self.get("ipv4", "method", "auto")

    def verify(self) -> None:
        """NetworkManager's checks when it loads or saves a profile; CommandError with its message."""
        try:
            addresses, _ = self.addresses()
            self.dns()
        except ValueError as exc:
            raise CommandError(f"ipv4.addresses: {exc}") from None
        method = self.method()
        if method not in NM_METHODS:
            raise CommandError("ipv4.method: property is invalid")
        if method == "manual" and not addresses:
            raise CommandError("ipv4.addresses: this property cannot be empty for 'method=manual'")
        if method == "disabled" and addresses:
            raise CommandError("ipv4.addresses: this property is not allowed for 'method=disabled'")

    def properties(self) -> dict[str, str]:
        addresses, gateway = self.addresses()
        yes_no = {"true": "yes", "false": "no"}
        return {
            "connection.id": self.id,
            "connection.uuid": self.uuid,
            "connection.type": {"ethernet": "802-3-ethernet"}.get(self.get("connection", "type"), self.get("connection", "type")),
            "connection.interface-name": self.interface_name,
            "connection.autoconnect": yes_no.get(self.get("connection", "autoconnect", "true"), "yes"),
            "ipv4.method": self.method(),
            "ipv4.dns": ",".join(self.dns()),
            "ipv4.dns-search": ",".join(s for s in self.get("ipv4", "dns-search").split(";") if s),
            "ipv4.addresses": ", ".join(str(a) for a in addresses),
            "ipv4.gateway": gateway,
            "ipv4.ignore-auto-dns": yes_no.get(self.get("ipv4", "ignore-auto-dns", "false"), "no"),
            "ipv4.never-default": yes_no.get(self.get("ipv4", "never-default", "false"), "no"),
            "ipv6.method": self.get("ipv6", "method", "auto"),
        }

    def save(self, *paths: Path) -> None:
        from io import StringIO

        text = StringIO()
        self.keyfile.write(text, space_around_delimiters=False)
        for path in paths:
            atomic_write(path, text.getvalue(), mode=0o600)


def nm_read(path: Path) -> NMProfile | None:
    keyfile = new_keyfile()
    try:
        keyfile.read_string(path.read_text(), source=str(path))
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    return NMProfile(path, keyfile)


def nm_log(guest: Guest, message: str) -> None:
    """NetworkManager's journal: why a keyfile was not loaded."""
    log = guest.path("/var/log/failback-sim/NetworkManager.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        out.write(message + "\n")


def nm_load(guest: Guest, files: list[Path] | None = None) -> None:
    """(Re)load keyfiles into NetworkManager's memory, refusing those NM would refuse."""
    loaded = guest.path(NM_LOADED_DIR)
    loaded.mkdir(parents=True, exist_ok=True)
    if files is None:
        for old in loaded.glob("*.nmconnection"):
            old.unlink()
        files = sorted(guest.path(NM_CONNECTIONS_DIR).glob("*.nmconnection"))
    for path in files:
        shown = guest.display(path)
        if not path.exists():
            (loaded / path.name).unlink(missing_ok=True)
            continue
        if path.stat().st_mode & 0o077:
            nm_log(guest, f"keyfile: load: \"{shown}\": failed to load connection: File permissions "
                          f"({path.stat().st_mode & 0o777:o}) are insecure")
            continue
        profile = nm_read(path)
        if profile is None:
            nm_log(guest, f"keyfile: load: \"{shown}\": failed to load connection: invalid keyfile")
            continue
        try:
            profile.verify()
        except CommandError as exc:
            nm_log(guest, f"keyfile: load: \"{shown}\": failed to load connection: {exc}")
            continue
        shutil.copyfile(path, loaded / path.name)


def nm_profiles(guest: Guest) -> list[NMProfile]:
    """The profiles NetworkManager has in memory (not what the files say now)."""
    profiles = []
    for path in sorted(guest.path(NM_LOADED_DIR).glob("*.nmconnection")):
        profile = nm_read(path)
        if profile is not None:
            profiles.append(profile)
    return profiles


def nm_find(guest: Guest, words: list[str]) -> tuple[NMProfile, list[str]]:
    """The profile named by `[id|uuid] <name>` at the start of words, and the rest."""
    if not words:
        raise CommandError("Error: no connection specified.", 2)
    kind = None
    if words[0] in ("id", "uuid", "path") and len(words) > 1:
        kind, words = words[0], words[1:]
    name, rest = words[0], words[1:]
    for profile in nm_profiles(guest):
        if (kind in (None, "id") and profile.id == name) or (kind in (None, "uuid") and profile.uuid == name):
            return profile, rest
    raise CommandError(f"Error: unknown connection '{name}'.", 10)


def nm_active(guest: Guest) -> dict[str, str]:
    try:
        return json.loads(guest.path(NM_ACTIVE_FILE).read_text())
    except (OSError, ValueError):
        return {}


def nm_set_active(guest: Guest, device: str, uuid: str | None) -> None:
    active = nm_active(guest)
    if uuid is None:
        active.pop(device, None)
    else:
        active[device] = uuid
    atomic_write(guest.path(NM_ACTIVE_FILE), json.dumps(active))


def nm_device_of(guest: Guest, profile: NMProfile) -> str:
    for device, uuid in nm_active(guest).items():
        if uuid == profile.uuid:
            return device
    return ""


class NMOutput:
    """nmcli's global options: -t, -f, -g, -m, -p."""

    def __init__(self) -> None:
        self.terse = False
        self.fields: list[str] | None = None
        self.values_only = False

    def table(self, columns: list[str], rows: list[dict[str, str]]) -> None:
        columns = self.fields or columns
        if self.terse:
            for row in rows:
                values = [row.get(c, "").replace(":", "\\:") for c in columns]
                print(":".join(values))
            return
        values = [[row.get(c) or "--" for c in columns] for row in rows]
        widths = [max([len(c)] + [len(v[i]) for v in values]) + 2 for i, c in enumerate(columns)]
        print("".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
        for row_values in values:
            print("".join(v.ljust(w) for v, w in zip(row_values, widths)).rstrip())

    def properties(self, items: list[tuple[str, str]]) -> None:
        if self.fields:
            wanted = self.fields
            items = [(k, v) for k, v in items if any(k == f or k.split(".")[0] == f or k.split("[")[0] == f for f in wanted)]
        for key, value in items:
            if self.values_only:
                print(value)
            elif self.terse:
                print(f"{key}:{value}")
            else:
                print(f"{key + ':':<40}{value or '--'}")


def nm_match(word: str, *choices: str) -> str | None:
    for choice in choices:
        if word and choice.startswith(word):
            return choice
    return None


def cmd_nmcli(guest: Guest, args: list[str]) -> int:
    output = NMOutput()
    words = list(args)
    while words and words[0].startswith("-"):
        option = words.pop(0)
        if option in ("-t", "--terse"):
            output.terse = True
        elif option in ("-f", "--fields", "-g", "--get-values"):
            if not words:
                raise CommandError(f"Error: missing argument for '{option}' option.", 2)
            fields = words.pop(0)
            output.fields = None if fields in ("all", "common") else fields.split(",")
            if option in ("-g", "--get-values"):
                output.terse = output.values_only = True
        elif option in ("-m", "--mode", "-e", "--escape", "-w", "--wait"):
            words and words.pop(0)
        elif option in ("-p", "--pretty", "-c", "--colors"):
            if option in ("-c", "--colors") and words:
                words.pop(0)
        else:
            raise CommandError(f"Error: Option '{option}' is unknown, try 'nmcli -help'.", 2)
    if not words:
        raise CommandError("Usage: nmcli [OPTIONS] OBJECT { COMMAND | help }", 2)
    nm_make_ready(guest)
    obj = nm_match(words[0], "connection", "device", "general", "networking")
    rest = words[1:]
    if obj == "connection":
        return nm_connection(guest, output, rest)
    if obj == "device":
        return nm_device(guest, output, rest)
    if obj == "general":
        output.table(["STATE", "CONNECTIVITY"], [{"STATE": "connected", "CONNECTIVITY": "full"}])
        return 0
    if obj == "networking":
        print("enabled")
        return 0
    raise CommandError(f"Error: argument '{words[0]}' not understood. Try passing --help instead.", 2)


def nm_make_ready(guest: Guest) -> None:
    if not guest.path(NM_LOADED_DIR).is_dir():  # NetworkManager started: it loads every keyfile
        nm_load(guest)


def nm_connection(guest: Guest, output: NMOutput, words: list[str]) -> int:
    command = nm_match(words[0], "show", "modify", "up", "down", "reload", "load") if words else "show"
    rest = words[1:]
    if command == "show":
        active_only = "--active" in rest or "-a" in rest
        rest = [w for w in rest if w not in ("--active", "-a")]
        if rest:
            profile, _ = nm_find(guest, rest)
            items = list(profile.properties().items())
            device = nm_device_of(guest, profile)
            if device:
                current = guest.current()
                nic = current["interfaces"][0]
                items += [("GENERAL.NAME", profile.id), ("GENERAL.DEVICES", device), ("GENERAL.STATE", "activated")]
                items += [(f"IP4.ADDRESS[{i}]", f"{a['ip']}/{a['prefix']}") for i, a in enumerate(nic["addresses"], 1)]
                items += [("IP4.GATEWAY", current.get("gateway", ""))]
                items += [(f"IP4.DNS[{i}]", d) for i, d in enumerate(current.get("dns", []), 1)]
            output.properties(items)
            return 0
        rows = []
        for profile in nm_profiles(guest):
            device = nm_device_of(guest, profile)
            if active_only and not device:
                continue
            rows.append({"NAME": profile.id, "UUID": profile.uuid, "TYPE": profile.properties()["connection.type"] or "ethernet",
                         "DEVICE": device, "ACTIVE": "yes" if device else "no", "STATE": "activated" if device else ""})
        output.table(["NAME", "UUID", "TYPE", "DEVICE"], rows)
        return 0
    if command == "modify":
        rest = [w for w in rest if w != "--temporary"]
        profile, settings = nm_find(guest, rest)
        nm_modify(guest, profile, settings)
        return 0
    if command == "up":
        profile, _ = nm_find(guest, rest)
        nm_up(guest, profile)
        print("Connection successfully activated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/2)")
        return 0
    if command == "down":
        profile, _ = nm_find(guest, rest)
        device = nm_device_of(guest, profile)
        if not device:
            raise CommandError(f"Error: '{profile.id}' is not an active connection.\nError: no active connection provided.", 10)
        nm_set_active(guest, device, None)
        guest.write_down()
        print(f"Connection '{profile.id}' successfully deactivated (D-Bus active path: /org/freedesktop/NetworkManager/ActiveConnection/2)")
        return 0
    if command == "reload":
        nm_load(guest)
        return 0
    if command == "load":
        nm_load(guest, [guest.path(f) for f in rest])
        return 0
    raise CommandError(f"Error: argument '{words[0]}' not understood. Try passing --help instead.", 2)


def nm_list(value: str) -> list[str]:
    return [item for item in value.replace(",", " ").replace(";", " ").split() if item]


def nm_modify(guest: Guest, profile: NMProfile, settings: list[str]) -> None:
    if not settings or len(settings) % 2:
        raise CommandError("Error: <setting>.<property> argument is missing." if not settings
                           else f"Error: value for '{settings[-1]}' is missing.", 2)
    keyfile = profile.keyfile
    for section in ("connection", "ipv4"):
        if not keyfile.has_section(section):
            keyfile.add_section(section)
    addresses, gateway = profile.addresses()
    dns = profile.dns()
    for name, value in zip(settings[::2], settings[1::2]):
        sign = name[0] if name[0] in "+-" else ""
        name = NM_ALIASES.get(name.lstrip("+-"), name.lstrip("+-"))
        if name not in NM_PROPERTIES:
            raise CommandError(f"Error: invalid or not allowed setting '{name.split('.')[0]}': '{name}' not among known properties.", 2)
        try:
            if name == "ipv4.method":
                if value not in NM_METHODS:
                    raise ValueError(f"'{value}' not among [{', '.join(NM_METHODS)}]")
                keyfile.set("ipv4", "method", value)
            elif name == "ipv4.addresses":
                new = [ipv4_interface(item, 32) for item in nm_list(value)]
                addresses = addresses + new if sign == "+" else [a for a in addresses if a not in new] if sign == "-" else new
            elif name == "ipv4.gateway":
                gateway = str(ipaddress.IPv4Address(value)) if value else ""
            elif name == "ipv4.dns":
                new = [str(ipaddress.IPv4Address(item)) for item in nm_list(value)]
                dns = dns + new if sign == "+" else [d for d in dns if d not in new] if sign == "-" else new
            elif name in ("ipv4.ignore-auto-dns", "ipv4.never-default", "connection.autoconnect"):
                flag = {"yes": "true", "true": "true", "on": "true", "no": "false", "false": "false", "off": "false"}.get(value.lower())
                if flag is None:
                    raise ValueError(f"'{value}' is not valid; use [true, false] or [yes, no]")
                section, key = name.split(".")
                keyfile.set(section, key, flag)
            elif name == "ipv4.dns-search":
                keyfile.set("ipv4", "dns-search", "".join(f"{s};" for s in nm_list(value)))
            else:
                section, key = name.split(".")
                if not keyfile.has_section(section):
                    keyfile.add_section(section)
                keyfile.set(section, key, value)
        except ValueError as exc:
            raise CommandError(f"Error: failed to modify {name}: {exc}.", 2) from None
    for key in [k for k in keyfile.options("ipv4") if k.startswith("address") or k == "gateway"]:
        keyfile.remove_option("ipv4", key)
    for number, address in enumerate(addresses, 1):
        # NetworkManager's keyfile writer puts the gateway after the first address.
        keyfile.set("ipv4", f"address{number}", f"{address}" + (f",{gateway}" if number == 1 and gateway else ""))
    if gateway and not addresses:
        keyfile.set("ipv4", "gateway", gateway)
    if dns:
        keyfile.set("ipv4", "dns", "".join(f"{d};" for d in dns))
    elif keyfile.has_option("ipv4", "dns"):
        keyfile.remove_option("ipv4", "dns")
    try:
        profile.verify()
    except CommandError as exc:
        raise CommandError(f"Error: Failed to modify connection '{profile.id}': {exc}", 1) from None
    # Saved to disk and to NetworkManager's memory; it takes effect at the next `up`.
    profile.save(profile.path, guest.path(NM_CONNECTIONS_DIR) / profile.path.name)


def nm_up(guest: Guest, profile: NMProfile) -> None:
    if profile.interface_name and profile.interface_name != guest.interface:
        raise CommandError(f"Error: Connection activation failed: No suitable device found for this connection "
                           f"(device {guest.interface} not available because profile is not compatible with device "
                           f"(mismatching interface name)).", 4)
    try:
        profile.verify()
        addresses, gateway = profile.addresses()
        dns = profile.dns()
    except (CommandError, ValueError) as exc:
        raise CommandError(f"Error: Connection activation failed: {exc}", 4) from None
    method = profile.method()
    if method == "disabled":
        guest.write_network([], False, "", dns)
    else:
        auto_dns = profile.get("ipv4", "ignore-auto-dns", "false") != "true"
        guest.apply(dhcp=method == "auto", static=addresses, gateway=gateway, dns=dns, auto_dns=auto_dns)
    nm_set_active(guest, guest.interface, profile.uuid)


def nm_device(guest: Guest, output: NMOutput, words: list[str]) -> int:
    command = nm_match(words[0], "status", "show", "reapply", "connect", "disconnect") if words else "status"
    rest = words[1:]
    active = nm_active(guest)
    profiles = {p.uuid: p for p in nm_profiles(guest)}
    connection = profiles[active[guest.interface]].id if guest.interface in active and active[guest.interface] in profiles else ""
    if command == "status":
        output.table(["DEVICE", "TYPE", "STATE", "CONNECTION"], [
            {"DEVICE": guest.interface, "TYPE": "ethernet", "STATE": "connected" if connection else "disconnected", "CONNECTION": connection},
            {"DEVICE": "lo", "TYPE": "loopback", "STATE": "unmanaged", "CONNECTION": ""},
        ])
        return 0
    if rest and rest[0] != guest.interface:
        raise CommandError(f"Error: Device '{rest[0]}' not found.", 10)
    if command == "show":
        current = guest.current()
        nic = current["interfaces"][0]
        items = [("GENERAL.DEVICE", guest.interface), ("GENERAL.TYPE", "ethernet"), ("GENERAL.HWADDR", guest.mac.upper()),
                 ("GENERAL.STATE", "100 (connected)" if connection else "30 (disconnected)"), ("GENERAL.CONNECTION", connection)]
        items += [(f"IP4.ADDRESS[{i}]", f"{a['ip']}/{a['prefix']}") for i, a in enumerate(nic["addresses"], 1)]
        items += [("IP4.GATEWAY", current.get("gateway", ""))]
        items += [(f"IP4.DNS[{i}]", d) for i, d in enumerate(current.get("dns", []), 1)]
        output.properties(items)
        return 0
    if command in ("reapply", "connect"):
        uuid = active.get(guest.interface)
        if uuid not in profiles:
            raise CommandError(f"Error: Can't reapply changes to '{guest.interface}': device is not activated", 10)
        nm_up(guest, profiles[uuid])
        print(f"Connection successfully reapplied to device '{guest.interface}'.")
        return 0
    if command == "disconnect":
        nm_set_active(guest, guest.interface, None)
        guest.write_down()
        return 0
    raise CommandError(f"Error: argument '{words[0]}' not understood. Try passing --help instead.", 2)


def nm_restart(guest: Guest) -> None:
    """NetworkManager restarts: it reloads every keyfile and activates the interface's profile."""
    nm_load(guest)
    profiles = nm_profiles(guest)
    previous = nm_active(guest).get(guest.interface)
    candidates = [p for p in profiles if p.uuid == previous] + [
        p for p in profiles if p.interface_name in ("", guest.interface) and p.get("connection", "autoconnect", "true") != "false"
    ]
    if not candidates:
        nm_set_active(guest, guest.interface, None)
        guest.write_down()
        return
    try:
        nm_up(guest, candidates[0])
    except CommandError:
        nm_set_active(guest, guest.interface, None)
        guest.write_down()


# ------------------------------------------------------------- network-scripts (ifcfg, RHEL/CentOS)


def parse_shell_variables(path: Path, shown: str) -> dict[str, str]:
    """KEY=value lines as bash would source them; a line bash would choke on is an error."""
    values: dict[str, str] = {}
    text = path.read_text()
    try:
        lexer_lines = text.splitlines()
        for number, raw in enumerate(lexer_lines, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            name, equals, value = line.partition("=")
            if not equals or not name.replace("_", "a").isalnum() or name[0].isdigit():
                raise CommandError(f"{shown}: line {number}: {line.split()[0]}: command not found")
            words = shlex.split(value, comments=True, posix=True)
            if len(words) > 1:
                raise CommandError(f"{shown}: line {number}: {words[1]}: command not found")
            values[name] = words[0] if words else ""
    except ValueError:
        raise CommandError(f"{shown}: line {number}: unexpected EOF while looking for matching quote") from None
    return values


def ifcfg_files(guest: Guest) -> dict[str, tuple[Path, dict[str, str]]]:
    """ifcfg files by the device they configure."""
    result = {}
    for path in sorted(guest.path(IFCFG_DIR).glob("ifcfg-*")):
        if path.name.endswith((".bak", ".orig", ".rpmnew", ".rpmsave", "~")) or path.name == "ifcfg-lo":
            continue
        values = parse_shell_variables(path, guest.display(path))
        device = values.get("DEVICE") or path.name[len("ifcfg-"):]
        result[device] = (path, values)
    return result


def ifcfg_up(guest: Guest, device: str) -> None:
    configurations = ifcfg_files(guest)
    if device not in configurations:
        raise CommandError(f"/usr/sbin/ifup: configuration for {device} not found.\nUsage: ifup <configuration>")
    path, values = configurations[device]
    global_values = {}
    network = guest.path("/etc/sysconfig/network")
    if network.exists():
        global_values = parse_shell_variables(network, "/etc/sysconfig/network")
    bootproto = values.get("BOOTPROTO", "none").lower()
    static = []
    ip = values.get("IPADDR") or values.get("IPADDR0")
    if ip and bootproto not in ("dhcp", "bootp"):
        prefix = values.get("PREFIX") or values.get("PREFIX0")
        netmask = values.get("NETMASK") or values.get("NETMASK0")
        try:
            if prefix:
                static.append(ipv4_interface(f"{ip}/{prefix}"))
            elif netmask:
                static.append(ipaddress.IPv4Interface(f"{ipaddress.IPv4Address(ip)}/{ipaddress.IPv4Address(netmask)}"))
            else:  # ipcalc's classful default, as the real scripts use
                first = int(str(ipaddress.IPv4Address(ip)).split(".")[0])
                static.append(ipv4_interface(ip, 8 if first < 128 else 16 if first < 192 else 24))
        except ValueError:
            raise CommandError(f"Error: an inet prefix is expected rather than \"{ip}/{prefix or netmask or ''}\".\n"
                               f"ERROR    : [/etc/sysconfig/network-scripts/ifup-eth] Error adding address {ip} for {device}.") from None
    gateway = values.get("GATEWAY") or values.get("GATEWAY0") or global_values.get("GATEWAY", "")
    if gateway:
        try:
            ipaddress.IPv4Address(gateway)
        except ValueError:
            raise CommandError(f"Error: inet prefix is expected rather than \"{gateway}\".\n"
                               f"ERROR    : [/etc/sysconfig/network-scripts/ifup-eth] Error adding default gateway {gateway} for {device}.") from None
    dns = []
    for number in range(1, 10):
        server = values.get(f"DNS{number}")
        if server:
            try:
                dns.append(valid_ip(server))
            except ValueError:
                raise CommandError(f"ERROR    : [/etc/sysconfig/network-scripts/ifup-post] invalid DNS{number} '{server}' for {device}.") from None
    guest.apply(dhcp=bootproto in ("dhcp", "bootp"), static=static, gateway=gateway, dns=dns,
                auto_dns=values.get("PEERDNS", "yes").lower() != "no")


# ------------------------------------------------------------ ifupdown (/etc/network/interfaces)


IFUPDOWN_METHODS = {"inet": {"static", "dhcp", "manual", "loopback", "bootp", "ppp", "wvdial", "ipv4ll"},
                    "inet6": {"static", "dhcp", "manual", "loopback", "auto", "v4tunnel", "6to4"}}


def parse_interfaces(guest: Guest, path: Path | None = None, parsed: dict[str, Any] | None = None) -> dict[str, Any]:
    """interfaces(5): {"auto": set, "hotplug": set, "iface": {(name, family): {"method", options...}}}."""
    path = path or guest.path(INTERFACES_FILE)
    parsed = parsed if parsed is not None else {"auto": set(), "hotplug": set(), "iface": {}}
    shown = guest.display(path)
    current: dict[str, Any] | None = None
    in_mapping = False
    lines = path.read_text().splitlines()
    joined: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, 1):  # a trailing backslash continues a line
        if joined and joined[-1][1].endswith("\\"):
            joined[-1] = (joined[-1][0], joined[-1][1][:-1] + " " + raw.strip())
        else:
            joined.append((number, raw))
    for number, raw in joined:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        keyword = words[0]
        if keyword in ("auto", "allow-auto") or keyword.startswith("allow-"):
            (parsed["auto"] if keyword in ("auto", "allow-auto") else parsed["hotplug"]).update(words[1:])
            current, in_mapping = None, False
        elif keyword == "iface":
            if len(words) < 4:
                raise CommandError(f"{shown}:{number}: too few parameters for iface line")
            name, family, method = words[1:4]
            if family not in IFUPDOWN_METHODS:
                raise CommandError(f"{shown}:{number}: unknown address type")
            if method not in IFUPDOWN_METHODS[family]:
                raise CommandError(f"{shown}:{number}: unknown method")
            if (name, family) in parsed["iface"]:
                raise CommandError(f"{shown}:{number}: duplicate interface")
            current = {"method": method}
            parsed["iface"][(name, family)] = current
            in_mapping = False
        elif keyword == "mapping":
            current, in_mapping = None, True
        elif keyword in ("source", "source-directory"):
            pattern = words[1] if len(words) > 1 else ""
            base = pattern if pattern.startswith("/") else str(Path(shown).parent / pattern)
            matches = sorted(glob.glob(str(guest.path(base))))
            if keyword == "source-directory":
                matches = sorted(str(p) for d in matches for p in Path(d).iterdir() if p.is_file() and p.name.replace("-", "").replace("_", "").isalnum())
            for included in matches:
                parse_interfaces(guest, Path(included), parsed)
            current, in_mapping = None, False
        elif in_mapping:
            continue
        elif current is None:
            raise CommandError(f"{shown}:{number}: misplaced option")
        else:
            if keyword in current:
                raise CommandError(f"{shown}:{number}: duplicate option")
            current[keyword] = " ".join(words[1:])
    return parsed


def ifstate(guest: Guest, device: str) -> Path:
    return guest.path(f"/run/network/ifstate.{device}")


def ifupdown_up(guest: Guest, device: str, parsed: dict[str, Any], program: str = "ifup") -> None:
    if ifstate(guest, device).exists():
        print(f"{program}: interface {device} already configured", file=sys.stderr)
        return
    stanza = parsed["iface"].get((device, "inet"))
    if stanza is None:
        raise CommandError(f"{program}: unknown interface {device}")
    method = stanza["method"]
    if method == "static":
        if "address" not in stanza:
            raise CommandError(f"{program}: missing required variable: address\n"
                               f"{program}: missing required configuration variables for interface {device}/inet.\n"
                               f"{program}: failed to bring up {device}")
        address = stanza["address"]
        try:
            if "/" in address:
                static = ipv4_interface(address)
            elif "netmask" in stanza:
                netmask = stanza["netmask"]
                static = ipv4_interface(f"{address}/{netmask}") if netmask.isdigit() else ipaddress.IPv4Interface(
                    f"{ipaddress.IPv4Address(address)}/{ipaddress.IPv4Address(netmask)}")
            else:
                static = ipv4_interface(address, 24 if ipaddress.IPv4Address(address).is_private else 8)
        except ValueError:
            raise CommandError(f"Error: any valid prefix is expected rather than \"{address}\".\n"
                               f"{program}: failed to bring up {device}") from None
        gateway = stanza.get("gateway", "")
        try:
            if gateway:
                ipaddress.IPv4Address(gateway)
            dns = [valid_ip(s) for s in stanza.get("dns-nameservers", "").split()]
        except ValueError as exc:
            raise CommandError(f"Error: {exc}.\n{program}: failed to bring up {device}") from None
        guest.apply(dhcp=False, static=[static], gateway=gateway, dns=dns)
    elif method in ("dhcp", "bootp"):
        guest.apply(dhcp=True, static=[], gateway="", dns=[])
    else:
        guest.write_down()
    ifstate(guest, device).parent.mkdir(parents=True, exist_ok=True)
    ifstate(guest, device).write_text(device + "\n")


def ifupdown_down(guest: Guest, device: str, program: str = "ifdown") -> None:
    if not ifstate(guest, device).exists():
        print(f"{program}: interface {device} not configured", file=sys.stderr)
        return
    ifstate(guest, device).unlink()
    guest.write_down()


def cmd_ifup(guest: Guest, args: list[str], program: str = "ifup") -> int:
    every = any(a in ("-a", "--all") for a in args)
    devices = [a for a in args if not a.startswith("-")]
    if not devices and not every:
        raise CommandError(f"{program}: no interface(s) specified\nUsage: {program} <configuration>", 1)
    if guest.distro == "rhel-ifcfg":
        if every:
            devices = [d for d, (_, v) in ifcfg_files(guest).items() if v.get("ONBOOT", "yes").lower() == "yes"]
        for device in devices:
            device = device[len("ifcfg-"):] if device.startswith("ifcfg-") else device
            if program == "ifup":
                ifcfg_up(guest, device)
            else:
                guest.write_down()
        return 0
    parsed = parse_interfaces(guest)  # ifupdown reads the whole file every time
    if every:
        devices = sorted(parsed["auto"] if program == "ifup" else {p.name[len("ifstate."):] for p in guest.path("/run/network").glob("ifstate.*")})
    for device in devices:
        if device == "lo":
            continue
        if program == "ifup":
            ifupdown_up(guest, device, parsed)
        else:
            ifupdown_down(guest, device)
    return 0


# ------------------------------------------------------------------------------------ systemctl


UNITS = {
    "ubuntu-netplan": {"systemd-networkd", "systemd-resolved"},
    "rhel-nmcli": {"NetworkManager"},
    "rhel-ifcfg": {"network"},
    "debian-interfaces": {"networking"},
}


def unit_states(guest: Guest) -> dict[str, str]:
    """Installed units and whether they start at boot ("enabled" | "disabled"): UNITS_FILE, else the image's defaults."""
    try:
        return json.loads(guest.path(UNITS_FILE).read_text())
    except (OSError, ValueError):
        return {name: "enabled" for name in UNITS.get(guest.distro, set())}


def cmd_systemctl(guest: Guest, args: list[str]) -> int:
    words = [a for a in args if not a.startswith("-")]
    if not words:
        raise CommandError("Too few arguments.", 1)
    verb, units = words[0], words[1:]
    if verb == "daemon-reload":
        return 0
    states = unit_states(guest)
    for unit in units:
        name = unit[:-len(".service")] if unit.endswith(".service") else unit
        if name not in states:
            if verb in ("is-active", "status"):
                print("inactive" if verb == "is-active" else f"Unit {name}.service could not be found.")
                return 4 if verb == "status" else 3
            if verb == "is-enabled":
                raise CommandError(f"Failed to get unit file state for {name}.service: No such file or directory", 1)
            raise CommandError(f"Failed to {verb} {name}.service: Unit {name}.service not found.", 5)
        if verb == "is-enabled":
            print(states[name])
            if states[name] != "enabled":
                return 1
        elif verb == "is-active" and states[name] != "enabled":
            print("inactive")  # it did not start at boot
            return 3
        elif verb == "is-active":
            print("active")
        elif verb == "status":
            print(f"● {name}.service\n     Loaded: loaded (/usr/lib/systemd/system/{name}.service; enabled)\n     Active: active (running)")
        elif verb in ("restart", "reload-or-restart", "try-restart", "start", "reload"):
            try:
                restart_unit(guest, name, verb)
            except CommandError as exc:
                print(exc, file=sys.stderr)
                raise CommandError(f"Job for {name}.service failed because the control process exited with error code.\n"
                                   f"See \"systemctl status {name}.service\" and \"journalctl -xeu {name}.service\" for details.") from None
        elif verb == "stop":
            if name in ("network", "networking", "NetworkManager"):
                guest.write_down()
        else:
            raise CommandError(f"Unknown command verb {verb}.", 1)
    return 0


def restart_unit(guest: Guest, name: str, verb: str) -> None:
    if name == "NetworkManager":
        nm_restart(guest)
    elif name == "network":
        if verb != "reload":
            for device, (_, values) in ifcfg_files(guest).items():
                if values.get("ONBOOT", "yes").lower() == "yes":
                    ifcfg_up(guest, device)
    elif name == "networking":
        parsed = parse_interfaces(guest)  # a broken file fails before anything is taken down
        for state in sorted(guest.path("/run/network").glob("ifstate.*")):
            ifupdown_down(guest, state.name[len("ifstate."):])
        for device in sorted((parsed["auto"] | parsed["hotplug"]) - {"lo"}):
            ifupdown_up(guest, device, parsed)
    # systemd-networkd and -resolved keep what is configured: netplan apply is what changes it.


# ------------------------------------------------------------------------------------------- ip


def cmd_ip(guest: Guest, args: list[str]) -> int:
    words = list(args)
    oneline = family6 = False
    while words and words[0].startswith("-"):
        option = words.pop(0)
        oneline |= option in ("-o", "-oneline")
        family6 |= option == "-6"
        if option in ("-f", "-family"):
            family6 = bool(words) and words.pop(0) == "inet6"
    if not words:
        raise CommandError("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }", 255)
    obj, rest = words[0], words[1:]
    current = guest.current()
    nic = current["interfaces"][0]
    if "address".startswith(obj) or obj == "addr":
        return ip_addr(guest, current, nic, rest, oneline, family6)
    if "route".startswith(obj):
        return ip_route(guest, current, nic, rest, family6)
    if "link".startswith(obj):
        print("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000")
        print(f"2: {guest.interface}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000")
        print(f"    link/ether {guest.mac} brd ff:ff:ff:ff:ff:ff")
        return 0
    raise CommandError(f'Object "{obj}" is unknown, try "ip help".', 1)


def ip_addr(guest: Guest, current: dict[str, Any], nic: dict[str, Any], words: list[str], oneline: bool, family6: bool) -> int:
    command = words[0] if words else "show"
    if command in ("add", "del", "delete", "flush"):
        device = words[words.index("dev") + 1] if "dev" in words else ""
        if device != guest.interface:
            raise CommandError(f'Cannot find device "{device}"', 1)
        addresses = list(nic["addresses"])
        if command == "flush":
            addresses = []
        else:
            try:
                address = ipv4_interface(words[1], 32)
            except (IndexError, ValueError):
                raise CommandError(f'Error: any valid prefix is expected rather than "{words[1] if len(words) > 1 else ""}".', 1) from None
            entry = {"ip": str(address.ip), "prefix": address.network.prefixlen, "origin": "manual"}
            if command == "add":
                if any(a["ip"] == entry["ip"] for a in addresses):
                    raise CommandError("RTNETLINK answers: File exists", 2)
                addresses.append(entry)
            else:
                if not any(a["ip"] == entry["ip"] for a in addresses):
                    raise CommandError("RTNETLINK answers: Cannot assign requested address", 2)
                addresses = [a for a in addresses if a["ip"] != entry["ip"]]
        guest.write_network(addresses, nic["dhcp"], current.get("gateway", ""), current.get("dns", []))
        return 0
    if command not in ("show", "list", "ls", "s"):
        raise CommandError(f'Command "{command}" is unknown, try "ip address help".', 1)
    device = words[-1] if len(words) > 1 else None
    if device and device not in ("lo", guest.interface):
        raise CommandError(f'Device "{device}" does not exist.', 1)
    if family6:
        return 0
    entries = [("1", "lo", "127.0.0.1", 8, "host", "")] if device in (None, "lo") else []
    if device in (None, guest.interface):
        for address in nic["addresses"]:
            if ":" in address["ip"]:
                continue
            dynamic = " dynamic" if address.get("origin") == "dhcp" else ""
            entries.append(("2", guest.interface, address["ip"], address["prefix"], "global" + dynamic, ""))
    for index, name, ip, prefix, scope, _ in entries:
        network = ipaddress.IPv4Interface(f"{ip}/{prefix}").network
        brd = f" brd {network.broadcast_address}" if prefix < 31 and name != "lo" else ""
        line = f"{index}: {name}    inet {ip}/{prefix}{brd} scope {scope} {name}"
        lifetime = "valid_lft forever preferred_lft forever"
        print(f"{line}\\       {lifetime}" if oneline else f"{index}: {name}\n    inet {ip}/{prefix}{brd} scope {scope} {name}\n       {lifetime}")
    return 0


def ip_route(guest: Guest, current: dict[str, Any], nic: dict[str, Any], words: list[str], family6: bool) -> int:
    command = words[0] if words else "show"
    if command in ("add", "replace", "change", "del", "delete"):
        if len(words) < 2 or words[1] not in ("default", "0.0.0.0/0"):
            raise CommandError("simulated guest: only the default route can be changed", 2)
        gateway = ""
        if command != "del" and command != "delete":
            try:
                gateway = str(ipaddress.IPv4Address(words[words.index("via") + 1]))
            except (ValueError, IndexError):
                raise CommandError("Error: inet address is expected rather than the given gateway.", 1) from None
            if command == "add" and current.get("gateway"):
                raise CommandError("RTNETLINK answers: File exists", 2)
        guest.write_network(nic["addresses"], nic["dhcp"], gateway, current.get("dns", []))
        return 0
    if family6:
        return 0
    only_default = "default" in words
    gateway = current.get("gateway", "")
    proto = "dhcp" if nic["dhcp"] else "static"
    if gateway:
        print(f"default via {gateway} dev {guest.interface} proto {proto} metric 100")
    if not only_default:
        for address in nic["addresses"]:
            if ":" in address["ip"]:
                continue
            network = ipaddress.IPv4Interface(f"{address['ip']}/{address['prefix']}").network
            print(f"{network} dev {guest.interface} proto kernel scope link src {address['ip']}")
    return 0


# ------------------------------------------------------------------------------------ dispatch


def cmd_ifdown(guest: Guest, args: list[str]) -> int:
    return cmd_ifup(guest, args, program="ifdown")


def cmd_network_manager(guest: Guest, args: list[str]) -> int:
    """The daemon itself: only --version, what a probe may ask it (systemd starts it, not a script)."""
    if args[:1] in (["--version"], ["-V"]):
        print(NETWORK_MANAGER_VERSION)
        return 0
    raise CommandError("NetworkManager: the simulated daemon only answers --version", 1)


NETWORK_MANAGER_VERSION = "1.44.0-3.el9"

COMMANDS = {
    "NetworkManager": cmd_network_manager,
    "netplan": cmd_netplan,
    "nmcli": cmd_nmcli,
    "ifup": cmd_ifup,
    "ifdown": cmd_ifdown,
    "systemctl": cmd_systemctl,
    "ip": cmd_ip,
}


def log_command(root: Path, name: str, args: list[str]) -> None:
    log = root / COMMANDS_LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        out.write(shlex.join([name, *args]) + "\n")


def main(name: str, args: list[str], root: str) -> int:
    log_command(Path(root), name, args)
    try:
        return COMMANDS[name](Guest(root), args)
    except CommandError as exc:
        print(str(exc), file=sys.stderr)
        return exc.status
