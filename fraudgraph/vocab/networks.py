"""Network operators and the reserved address blocks every IP address is drawn from.

Addresses come from blocks that point at no real network: 240.0.0.0/4 (reserved,
never assigned) and, for carrier NAT, the shared address space 100.64.0.0/10;
ASNs come from the private-use range 64512-65534. Operators are fictional.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# (kind, country or "*", provider name); ASN = 64512 + position
PROVIDERS = (
    ("residential", "US", "Lakeshore Broadband"), ("residential", "US", "Cedar Fiber"),
    ("residential", "US", "Summit Cable"), ("residential", "CA", "Maple Fibre"),
    ("residential", "CA", "Northern Link"), ("residential", "GB", "Thames Broadband"),
    ("residential", "GB", "Highland Fibre"),
    ("mobile", "US", "Meridian Mobile"), ("mobile", "US", "Beacon Wireless"), ("mobile", "US", "Pulse Cellular"),
    ("mobile", "CA", "Aurora Mobile"), ("mobile", "CA", "True North Wireless"),
    ("mobile", "GB", "Albion Mobile"), ("mobile", "GB", "Crown Cellular"),
    ("corporate", "*", "Keystone Business Internet"), ("corporate", "*", "Ironclad Networks"),
    ("public_wifi", "*", "CityNet Hotspots"), ("public_wifi", "*", "CafeLink WiFi"),
    ("public_wifi", "*", "TransitAir WiFi"),
    ("vpn", "*", "TunnelFox VPN"), ("vpn", "*", "Veil Privacy Network"), ("vpn", "*", "Nomad Shield VPN"),
    ("hosting", "*", "Stratus Cloud"), ("hosting", "*", "Anvil Hosting"), ("hosting", "*", "Nimbus Compute"),
)
ASN_BASE = 64512
CGNAT_BASE, CGNAT_SIZE = 100 << 24 | 64 << 16, 1 << 22      # 100.64.0.0/10
RESERVED_BASE, RESERVED_SIZE = 240 << 24, 1 << 28           # 240.0.0.0/4

def dotted(addresses: np.ndarray) -> np.ndarray:
    """IPv4 integers to dotted-quad strings."""
    a = np.asarray(addresses, dtype=np.int64)
    parts = [pd.Series((a >> s) & 255).astype(str) for s in (24, 16, 8, 0)]
    return (parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[3]).to_numpy(dtype=object)

