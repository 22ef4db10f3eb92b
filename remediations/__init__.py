"""The catalog of fixes: every check and ASR error code points at a remediation here."""

from failback.remediations.catalog import CATALOG, get
from failback.remediations.model import Remediation

__all__ = ["CATALOG", "Remediation", "get"]
