"""The Textual front end over the headless engine in runner/."""
