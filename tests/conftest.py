"""Fixtures every test folder may use: the lab vCenter site (tests/labsite.py)."""

from tests.labsite import healthy_lab, lab  # noqa: F401  (pytest finds fixtures by name here)
