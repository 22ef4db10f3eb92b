"""SDK values as plain JSON: enums as their wire strings, datetimes as ISO 8601 UTC, ARM ids split into their parts."""

from __future__ import annotations

import datetime as dt
import enum
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
