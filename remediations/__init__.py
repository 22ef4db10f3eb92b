"""The catalog of fixes: every check and ASR error code points at a remediation here."""

from remediations.catalog import CATALOG, get
from remediations.model import Remediation

__all__ = ["CATALOG", "Remediation", "get"]
