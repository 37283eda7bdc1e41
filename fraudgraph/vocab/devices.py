"""Device clients: the app and browser builds persons log in with (type, OS, user agent, emulator).

Data tuples live beside the code, as Faker's providers keep theirs; a new client
is a new row, not new logic.
"""

from __future__ import annotations

import binascii
import itertools

import numpy as np
import pandas as pd

#: Client kinds (the values of ``Device.device_type``), in the order codes refer to.
DEVICE_TYPES = ("ios", "android", "web_desktop", "web_mobile")
APP = "CircleApp"
_IOS = ("16.7", "17.4", "17.6", "18.1", "18.3")
_IOS_MODELS = ("iPhone13,2", "iPhone14,5", "iPhone15,2", "iPhone16,1", "iPad13,4")
_ANDROID = ("12", "13", "14", "15")
_ANDROID_MODELS = ("SM-S918B", "Pixel 8", "moto g84 5G", "SM-A546E", "Redmi Note 13")
_DESKTOP = (
    ("Windows 11", "Windows NT 10.0; Win64; x64"), ("Windows 10", "Windows NT 10.0; Win64; x64"),
    ("macOS 14", "Macintosh; Intel Mac OS X 14_5"), ("macOS 15", "Macintosh; Intel Mac OS X 15_1"),
    ("Ubuntu 22.04", "X11; Linux x86_64"), ("ChromeOS 124", "X11; CrOS x86_64 15823.0.0"),
)
_BROWSERS = (
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
    "Gecko/20100101 Firefox/127.0",
)


def _client_table() -> pd.DataFrame:
    """Every (device type, os, user agent, emulator) combination a device can have."""
    rows = []
    for v, model in itertools.product(_IOS, _IOS_MODELS):
        rows.append(("ios", f"iOS {v}", f"{APP}/5.{_IOS.index(v)}.0 ({model}; iOS {v}; Scale/3.00)", False))
    for v in _IOS[2:]:
        rows.append(("ios", f"iOS {v}", f"{APP}/5.{_IOS.index(v)}.0 (iPhone Simulator; iOS {v}; Scale/3.00)", True))
    for v, model in itertools.product(_ANDROID, _ANDROID_MODELS):
        rows.append(("android", f"Android {v}", f"{APP}/5.{_ANDROID.index(v)}.1 (Linux; Android {v}; {model})", False))
    for v in _ANDROID[1:]:
        rows.append(("android", f"Android {v}", f"{APP}/5.{_ANDROID.index(v)}.1 (Linux; Android {v}; sdk_gphone64_x86_64)", True))
    for (os_name, platform), browser in itertools.product(_DESKTOP, _BROWSERS):
        rows.append(("web_desktop", os_name, f"Mozilla/5.0 ({platform}) {browser}", False))
    for v in _IOS:
        rows.append(("web_mobile", f"iOS {v}", f"Mozilla/5.0 (iPhone; CPU iPhone OS {v.replace('.', '_')} like Mac OS X) "
                     f"AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{v.split('.')[0]}.0 Mobile/15E148 Safari/604.1", False))
    for v, model in itertools.product(_ANDROID, _ANDROID_MODELS[:3]):
        rows.append(("web_mobile", f"Android {v}", f"Mozilla/5.0 (Linux; Android {v}; {model}) AppleWebKit/537.36 "
                     "(KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", False))
    return pd.DataFrame(rows, columns=["device_type", "os", "user_agent", "is_emulator"])


CLIENTS = _client_table()


def fingerprints(rng: np.random.Generator, n: int) -> np.ndarray:
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    return np.frombuffer(binascii.hexlify(raw.tobytes()), dtype="S32").astype(str)


def assign_clients(rng: np.random.Generator, device_type: np.ndarray, emulator: np.ndarray) -> np.ndarray:
    """Row of :data:`CLIENTS` for each device, matching its type and emulator flag."""
    key = CLIENTS["device_type"].map({t: i for i, t in enumerate(DEVICE_TYPES)}).to_numpy() * 2 + CLIENTS["is_emulator"].to_numpy()
    order = np.argsort(key, kind="stable")
    counts = np.bincount(key, minlength=2 * len(DEVICE_TYPES))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    want = device_type * 2 + emulator.astype(np.int64)
    want = np.where(counts[want] > 0, want, device_type * 2)  # no emulator build of this type
    return order[starts[want] + (rng.random(want.size) * counts[want]).astype(np.int64)]
