"""Cities persons live in, with coordinates and a population weight.

Data tuples live beside the code (as Faker's providers keep theirs); a locale
adds rows here, never logic.
"""

from __future__ import annotations

import numpy as np

# country, state/province/region, city, lat, lon, weight (population, 100k)
CITIES: tuple[tuple[str, str, str, float, float, float], ...] = (
    ("US", "NY", "New York", 40.7128, -74.0060, 83.0),
    ("US", "CA", "Los Angeles", 34.0522, -118.2437, 38.0),
    ("US", "IL", "Chicago", 41.8781, -87.6298, 26.0),
    ("US", "TX", "Houston", 29.7604, -95.3698, 23.0),
    ("US", "AZ", "Phoenix", 33.4484, -112.0740, 16.0),
    ("US", "PA", "Philadelphia", 39.9526, -75.1652, 15.0),
    ("US", "TX", "San Antonio", 29.4241, -98.4936, 14.0),
    ("US", "CA", "San Diego", 32.7157, -117.1611, 13.0),
    ("US", "TX", "Dallas", 32.7767, -96.7970, 13.0),
    ("US", "FL", "Miami", 25.7617, -80.1918, 4.5),
    ("US", "FL", "North Miami", 25.8901, -80.1867, 0.6),
    ("US", "FL", "Orlando", 28.5383, -81.3792, 3.1),
    ("US", "FL", "Fort Lauderdale", 26.1224, -80.1373, 1.8),
    ("US", "FL", "Tampa", 27.9506, -82.4572, 4.0),
    ("US", "FL", "Jacksonville", 30.3322, -81.6557, 9.5),
    ("US", "MA", "Boston", 42.3601, -71.0589, 6.8),
    ("US", "MA", "Brockton", 42.0834, -71.0184, 1.0),
    ("US", "NJ", "Newark", 40.7357, -74.1724, 3.1),
    ("US", "NJ", "Irvington", 40.7323, -74.2349, 0.6),
    ("US", "GA", "Atlanta", 33.7490, -84.3880, 5.0),
    ("US", "WA", "Seattle", 47.6062, -122.3321, 7.5),
    ("US", "CO", "Denver", 39.7392, -104.9903, 7.2),
    ("US", "DC", "Washington", 38.9072, -77.0369, 6.9),
    ("US", "TN", "Nashville", 36.1627, -86.7816, 6.9),
    ("US", "NV", "Las Vegas", 36.1699, -115.1398, 6.5),
    ("US", "OR", "Portland", 45.5152, -122.6784, 6.5),
    ("US", "MI", "Detroit", 42.3314, -83.0458, 6.3),
    ("US", "NC", "Charlotte", 35.2271, -80.8431, 8.8),
    ("US", "OH", "Columbus", 39.9612, -82.9988, 9.0),
    ("US", "MN", "Minneapolis", 44.9778, -93.2650, 4.3),
    ("US", "LA", "New Orleans", 29.9511, -90.0715, 3.8),
    ("US", "MO", "Kansas City", 39.0997, -94.5786, 5.1),
    ("US", "CA", "San Francisco", 37.7749, -122.4194, 8.1),
    ("US", "CA", "San Jose", 37.3382, -121.8863, 9.7),
    ("US", "TX", "Austin", 30.2672, -97.7431, 9.6),
    ("US", "MD", "Baltimore", 39.2904, -76.6122, 5.8),
    ("US", "WI", "Milwaukee", 43.0389, -87.9065, 5.7),
    ("US", "NM", "Albuquerque", 35.0844, -106.6504, 5.6),
    ("US", "UT", "Salt Lake City", 40.7608, -111.8910, 2.0),
    ("US", "IA", "Des Moines", 41.5868, -93.6250, 2.1),
    ("CA", "ON", "Toronto", 43.6532, -79.3832, 27.9),
    ("CA", "QC", "Montreal", 45.5017, -73.5673, 17.6),
    ("CA", "BC", "Vancouver", 49.2827, -123.1207, 6.6),
    ("CA", "AB", "Calgary", 51.0447, -114.0719, 13.1),
    ("CA", "ON", "Ottawa", 45.4215, -75.6972, 10.2),
    ("CA", "QC", "Laval", 45.6066, -73.7124, 4.4),
    ("GB", "ENG", "London", 51.5074, -0.1278, 89.0),
    ("GB", "ENG", "Birmingham", 52.4862, -1.8904, 11.4),
    ("GB", "ENG", "Manchester", 53.4808, -2.2426, 5.5),
    ("GB", "ENG", "Leeds", 53.8008, -1.5491, 7.9),
    ("GB", "SCT", "Glasgow", 55.8642, -4.2518, 6.3),
    ("GB", "WLS", "Cardiff", 51.4816, -3.1791, 3.6),
    ("GB", "NIR", "Belfast", 54.5973, -5.9301, 3.4),
)

COUNTRY_CURRENCY = {"US": "USD", "CA": "CAD", "GB": "GBP"}


class Geography:
    """Column view of :data:`CITIES` restricted to the scenario's countries."""

    def __init__(self, countries: dict[str, float]):
        rows = [c for c in CITIES if countries.get(c[0], 0.0) > 0]
        self.country = np.array([r[0] for r in rows])
        self.state = np.array([r[1] for r in rows])
        self.city = np.array([r[2] for r in rows])
        self.lat = np.array([r[3] for r in rows])
        self.lon = np.array([r[4] for r in rows])
        pop = np.array([r[5] for r in rows])
        share = np.array([countries[c] for c in self.country], dtype=float)
        country_pop = {c: pop[self.country == c].sum() for c in set(self.country)}
        self.weight = share * pop / np.array([country_pop[c] for c in self.country])
        self.weight /= self.weight.sum()

    def __len__(self) -> int:
        return self.city.size

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """City indices for ``n`` draws, weighted by country share and city population."""
        return rng.choice(self.city.size, size=n, p=self.weight)
