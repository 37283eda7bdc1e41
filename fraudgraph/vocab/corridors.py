"""Remittance corridors: who receives money abroad, and phone numbers no operator can ever assign.

A corridor is data (a calling code, an unassignable prefix, name pools); a new
corridor is a new :data:`CORRIDORS` entry, not new code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fraudgraph.vocab.draw import unique_integers

#: Common Haitian first names (given names in use across the country and the diaspora).
HAITIAN_FIRST_NAMES = (
    "Marie", "Jean", "Pierre", "Joseph", "Rose", "Jacques", "Claude", "Louis", "Anne", "Paul",
    "Nadège", "Guerline", "Mirlande", "Jocelyne", "Fabiola", "Magalie", "Roselaure", "Widline",
    "Stéphanie", "Lovely", "Esther", "Sophonie", "Islande", "Myrlande", "Nathalie", "Yolette",
    "Mackenson", "Kervens", "Evens", "Wilson", "Frantz", "Ricardo", "Wesner", "Jonas", "Dieuseul",
    "Jean-Claude", "Jean-Robert", "Marie-Carmel", "Marie-Ange", "Rosemène", "Fritznel", "Wisly",
    "Ketly", "Nickenson", "Daphney", "Edeline", "Josué", "Samuel", "Rodrigue", "Jimmy",
)
#: Common Haitian family names.
HAITIAN_LAST_NAMES = (
    "Jean-Baptiste", "Pierre", "Joseph", "Jean", "Louis", "Charles", "Paul", "Saint-Fleur", "Désir",
    "Augustin", "Alexis", "Étienne", "Exantus", "Lafortune", "Toussaint", "Dorvil", "Noël", "Jean-Louis",
    "Célestin", "Dorcely", "Michel", "François", "Baptiste", "Bien-Aimé", "Fils-Aimé", "Charlemagne",
    "Saint-Louis", "Estimé", "Métellus", "Delva", "Desrosiers", "Élysée", "Duverger", "Mompremier",
    "Pierre-Louis", "Jeune", "Cadet", "Philogène", "Auguste", "Jacques", "Guerrier", "Thermidor",
)


@dataclass(frozen=True)
class Corridor:
    """Where the money goes: the recipients' names and phone numbering.

    Attributes
    ----------
    calling_code : str
        Country calling code without ``+``.
    unissued_prefix : str
        Leading national digits that the country's numbering plan never assigns.
    digits : int
        Length of a national number.
    first_names, last_names : tuple of str
    """

    calling_code: str
    unissued_prefix: str
    digits: int
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]


#: Corridors with their own recipient pools; any other corridor country reuses Haiti's.
CORRIDORS = {"HT": Corridor("509", "00", 8, HAITIAN_FIRST_NAMES, HAITIAN_LAST_NAMES)}


def corridor_for(country: str) -> Corridor:
    """The recipient pools of ``country`` (Haiti's where none is defined)."""
    return CORRIDORS.get(country.upper(), CORRIDORS["HT"])


def recipient_phones(rng: np.random.Generator, n: int, corridor: Corridor) -> np.ndarray:
    """``n`` E.164 numbers that no subscriber can hold, distinct while the range lasts.

    Haiti's numbering plan is closed: national numbers have eight digits and
    start with 2 (fixed lines) or 3, 4 and 5 (mobile); none starts with 0, so
    ``+509 00xx xxxx`` is never issued and cannot reach a real person.
    Numbers are distinct while the range lasts (a million for Haiti), then repeat.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
    corridor : Corridor
    """
    if n == 0:
        return np.zeros(0, dtype=object)
    free = corridor.digits - len(corridor.unissued_prefix)
    capacity = 10 ** free
    slots = unique_integers(rng, 0, capacity, min(n, capacity))
    if n > capacity:
        slots = np.resize(slots, n)
    prefix = "+" + corridor.calling_code + corridor.unissued_prefix
    return np.char.add(prefix, np.char.zfill(slots.astype(str), free)).astype(object)
