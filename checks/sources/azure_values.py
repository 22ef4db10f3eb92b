"""SDK values as plain JSON: enums as their wire strings, datetimes as ISO 8601 UTC, ARM ids split into their parts."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def text(value: Any) -> str | None:
    """An SDK string or enum as the string Azure sent (str() of an SDK enum is its Python name, not its value)."""
    if value is None:
        return None
    return str(value.value) if isinstance(value, enum.Enum) else str(value)


def when(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone(dt.timezone.utc).isoformat()
    return str(value)


def wire(value: Any, *path: str) -> Any:
    """A value by its names on the wire: `wire(view, "vmAgent", "statuses")`, None where a step is missing or is not an
    object. The SDKs' models are mappings over the JSON ARM sent; an attribute read builds a new model each time (a
    tenth of a millisecond apiece, thousands of times on a large vault), a key read does not."""
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def moment(value: Any) -> dt.datetime | None:
    """A wire timestamp (ISO 8601, ARM's seven fractional digits included) as an aware datetime; None if it is none."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def ref(value: Any) -> str | None:
    """The id of a SubResource-like value."""
    return getattr(value, "id", None) if value is not None else None


@dataclass(frozen=True)
class ArmId:
    subscription_id: str
    resource_group: str
    name: str

    @classmethod
    def parse(cls, resource_id: str) -> ArmId | None:
        """/subscriptions/S/resourceGroups/G/providers/NS/type/NAME[/...] -> (S, G, NAME of the top resource)."""
        parts = resource_id.strip("/").split("/")
        if len(parts) < 8 or parts[0].lower() != "subscriptions" or parts[2].lower() != "resourcegroups":
            return None
        return cls(parts[1], parts[3], parts[7])

    @classmethod
    def of(cls, reference: str, subscription_id: str, resource_group: str) -> ArmId:
        """A site file's reference: a full id, or a name in the site's resource group."""
        parsed = cls.parse(reference) if reference.startswith("/") else None
        return parsed or cls(subscription_id, resource_group, reference)


def resource_id(subscription_id: str, resource_group: str, arm_type: str, name: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/{arm_type}/{name}"
