"""Checks on Azure's side of the failback: ASR's items and servers, the Azure VMs, the network between Azure and on-prem."""
