"""The tool's version, read from the installed distribution so reports name exactly what ran."""

from importlib.metadata import PackageNotFoundError, version

try:
    TOOL_VERSION = version("failback")
except PackageNotFoundError:  # running from a source tree that was never installed
    TOOL_VERSION = "0+unknown"
