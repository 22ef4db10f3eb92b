"""Checks whose facts come from vCenter."""
