"""The check catalog and the sources that gather the facts checks judge. Never imports a user interface."""
