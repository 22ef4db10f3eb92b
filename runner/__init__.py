"""The engine that runs checks, the report writers and the command line."""
