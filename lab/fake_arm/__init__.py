"""A fake Azure Resource Manager and Entra ID token endpoint over HTTPS on loopback, driven through the real Azure SDKs.

- state: the world (vault, fabrics, protected items, jobs, plans; VPN, ExpressRoute, NICs, NSGs, Network Watcher; VMs)
- server: FakeArm, the HTTPS server with latency, faults on demand and a request log
- asr_api, network_api, compute_api, identity, operations: the routes, rendering the world as ARM answers
- asr_actions, stages: reprotect, failover and commit as ASR jobs that move items from stage to stage
- scenarios: healthy classic and modernized sites that tests then break
"""

from failback.lab.fake_arm.faults import Fault
from failback.lab.fake_arm.server import FakeArm
from failback.lab.fake_arm.state import World

__all__ = ["FakeArm", "Fault", "World"]
