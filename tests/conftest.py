"""Fixtures every test folder may use: the lab vCenter site (tests/labsite.py)."""

from tests.labsite import healthy_lab, healthy_lab_of_each_shape, lab  # noqa: F401  (pytest finds fixtures by name here)
