"""The `failback` command line: a face over the engine, like the TUI. The engine (checks, remediations, runner) never
imports this package, the TUI or the lab; the command line imports all of them, each only inside the command that
needs it."""
