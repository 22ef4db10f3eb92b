"""Restoring a VM's static IPv4 configuration inside its guest after failback, through VMware Tools guest operations.

config: what was recorded before failback; probe: what the guest uses now; one generator per configuration method;
guest_ops: the vSphere guest operations client; restore: probe, plan, apply and verify for one VM.
"""
