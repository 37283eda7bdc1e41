"""Herded accounts: a controller operating other people's accounts from their own device and address.

Mule herders collect their mules' online-banking credentials and move the money themselves; a
grown-up child does the banking of an elderly parent from their own phone. Either way the
account holder is seen on the controller's device at the controller's home address, minutes
before each payment they make, and nowhere else for that purpose.
"""

from __future__ import annotations

import numpy as np
from fraudgraph.patterns.kit.identities import Identities, action_sessions
from fraudgraph.patterns.kit.instances import Draft
from fraudgraph.patterns.kit.keys import CONTEXT, USES_DEVICE, USES_IP

from fraudgraph.units import HOUR, to_datetime


def herd(world: Identities, draft: Draft, controller: str, operated: dict[str, np.ndarray], role: str) -> bool:
    """Log each person of ``operated`` (person -> times of the payments made for them) in on the
    ``controller``'s primary device through the controller's home address, before each payment.

    The device joins the instance as ``<role>_device``; the new USES_DEVICE and USES_IP edges carry
    ``role``. Returns False, changing nothing, when the controller has no device.
    """
    devices = world.devices_of([controller]).get(controller)
    if not devices or not operated:
        return False
    device, ip = devices[0], world.home_ip([controller]).get(controller)
    draft.member("Device", device, f"{role}_device")
    for person, times in operated.items():
        times = np.sort(np.asarray(times, dtype=np.int64))
        first = to_datetime([max(int(times[0]) - HOUR, draft.start)])
        world.links.add(USES_DEVICE, person, device, draft=draft, role=role, new_only=True, is_primary=False,
                        first_seen=first)
        if ip is not None:
            world.links.add(USES_IP, person, ip, draft=draft, role=role, new_only=True, context=CONTEXT["residential"],
                            first_seen=first)
        action_sessions(world, draft, person, device, ip, times)
    return True
