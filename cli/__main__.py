"""`python -m failback.cli` runs the command as the installed `failback` script does."""

from failback.cli.main import entry

entry()
