"""Where each person is: at home, on the way, or staying at a trip's destination.

The trips come from ``truth/trips`` (:mod:`fraudgraph.population.travel`). The
families ask, for rows of (person, time), which trip holds the person there:
sessions are not opened on the way (on a plane, on the road), and during the
stay logins come from the trip's hotel or mobile address and card payments are
located there. Outside a stay the ``travel`` addresses are not used.
"""

from __future__ import annotations

import numpy as np

from fraudgraph.units import to_seconds

#: Chance that a traveller with a mobile address at the destination uses it rather than the hotel's Wi-Fi.
ROAMING_SHARE = 0.45
_SHIFT = np.int64(1) << np.int64(34)   # times fit in 34 bits (until the year 2514)


class Trips:
    """Trips as position arrays sorted by (person, departure), with lookups by (person, time).

    Parameters
    ----------
    world : TimelineWorld
        Positions of persons and addresses.
    trips : DataFrame
        The ``truth/trips`` table.
    """

    def __init__(self, world, trips):
        person = world.pos("Person", trips["person_id"])
        keep = person >= 0
        trips = trips[keep]
        person = person[keep]
        departs = to_seconds(trips["departs_at"])
        order = np.lexsort((departs, person))
        self.person = person[order]
        self.departs = departs[order]
        self.arrives = to_seconds(trips["arrives_at"])[order]
        self.leaves = to_seconds(trips["leaves_at"])[order]
        self.returns = to_seconds(trips["returns_at"])[order]
        self.hotel_ip = world.pos("IP", trips["hotel_ip_id"].fillna(""))[order]
        self.roaming_ip = world.pos("IP", trips["roaming_ip_id"].fillna(""))[order]
        self._keys = self.person.astype(np.int64) * _SHIFT + self.departs
        travel_ip = np.zeros(world.n["IP"], dtype=bool)
        travel_ip[world.uses_ip.targets[world.uses_ip_context == "travel"]] = True
        #: Addresses only travellers use (``USES_IP`` context ``travel``).
        self.is_travel_ip = travel_ip

    def __len__(self) -> int:
        return self.person.size

    def _trip(self, person: np.ndarray, time: np.ndarray) -> np.ndarray:
        """The trip (index) each person has departed on and not yet returned from at ``time``; -1 if at home."""
        person = np.asarray(person, dtype=np.int64)
        time = np.asarray(time, dtype=np.int64)
        if self._keys.size == 0 or person.size == 0:
            return np.full(person.size, -1, dtype=np.int64)
        at = np.searchsorted(self._keys, person * _SHIFT + np.clip(time, 0, _SHIFT - 1), side="right") - 1
        k = np.maximum(at, 0)
        inside = (at >= 0) & (self.person[k] == person) & (time < self.returns[k]) & (person >= 0)
        return np.where(inside, k, -1)

    def staying(self, person: np.ndarray, time: np.ndarray) -> np.ndarray:
        """The trip whose destination each person is at, at ``time`` (arrived, not yet left); -1 otherwise.

        Examples
        --------
        >>> import numpy as np
        >>> t = Trips.__new__(Trips)
        >>> t.person, t.departs = np.array([0]), np.array([100])
        >>> t.arrives, t.leaves, t.returns = np.array([200]), np.array([900]), np.array([1000])
        >>> t._keys = t.person * _SHIFT + t.departs
        >>> t.staying(np.array([0, 0, 0, 1]), np.array([150, 500, 950, 500])).tolist()
        [-1, 0, -1, -1]
        """
        trip = self._trip(person, time)
        if len(self) == 0:
            return trip
        k = np.maximum(trip, 0)
        return np.where((trip >= 0) & (time >= self.arrives[k]) & (time < self.leaves[k]), trip, -1)

    def on_the_way(self, person: np.ndarray, time: np.ndarray) -> np.ndarray:
        """Whether each person is travelling to or from a destination at ``time``."""
        trip = self._trip(person, time)
        if len(self) == 0:
            return trip >= 0
        k = np.maximum(trip, 0)
        return (trip >= 0) & ((time < self.arrives[k]) | (time >= self.leaves[k]))

    def settle(self, person: np.ndarray, time: np.ndarray) -> np.ndarray:
        """``time``, or the end of the journey leg the person is on then (arrival, or back home)."""
        trip = self._trip(person, time)
        time = np.asarray(time, dtype=np.int64)
        if len(self) == 0:
            return time
        k = np.maximum(trip, 0)
        out = np.where((trip >= 0) & (time < self.arrives[k]), self.arrives[k], time)
        return np.where((trip >= 0) & (time >= self.leaves[k]), self.returns[k], out)

    def address(self, rng: np.random.Generator, trip: np.ndarray, mobile_ok: np.ndarray | None = None) -> np.ndarray:
        """An address of each trip (index >= 0): its mobile one at :data:`ROAMING_SHARE` where there is one
        (and ``mobile_ok``), else its hotel's.

        Parameters
        ----------
        rng : numpy.random.Generator
            Source of the choice.
        trip : ndarray of int
            Trip indices (all >= 0).
        mobile_ok : ndarray of bool, optional
            Whether the connecting device can use a mobile network (default: all can).
        """
        roaming = self.roaming_ip[trip]
        use = (roaming >= 0) & (rng.random(trip.size) < ROAMING_SHARE)
        if mobile_ok is not None:
            use &= mobile_ok
        return np.where(use, roaming, self.hotel_ip[trip])

    def located(self, person: np.ndarray, time: np.ndarray, home: np.ndarray) -> np.ndarray:
        """The address that locates each person at ``time``: the hotel's during a stay, else ``home``."""
        trip = self.staying(person, time)
        if len(self) == 0:
            return np.asarray(home)
        return np.where(trip >= 0, self.hotel_ip[np.maximum(trip, 0)], home)
