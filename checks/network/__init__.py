"""Checks of the network paths the failback travels: ports from this machine, and name resolution."""
