"""The Textual front end over the headless engine in runner/: the core never imports this package."""
