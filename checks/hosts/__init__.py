"""Checks of the hosts themselves: the Linux master targets over SSH, and the configuration server's backup."""
