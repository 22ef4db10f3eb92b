"""Sources gather facts in bulk from one kind of peer (vCenter, Azure, SSH, DNS, TCP), each with timeouts."""
