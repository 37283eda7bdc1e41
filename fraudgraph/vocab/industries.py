"""Industries: how common each is, how often it sells to consumers, what its companies are called and sell.

Company names are a surname, an industry noun and a suffix, all fictional.
"""

from __future__ import annotations

# industry: (weight, merchant propensity, name nouns)
INDUSTRY_DATA = {
    "retail": (14, 1.7, ("Outfitters", "Goods", "Market", "Emporium", "Supply")),
    "grocery": (8, 1.8, ("Grocers", "Foods", "Fresh Market", "Pantry")),
    "restaurants": (12, 1.8, ("Kitchen", "Bistro", "Grill", "Eatery", "Cafe")),
    "travel": (3, 1.6, ("Travel", "Voyages", "Getaways")),
    "utilities": (2, 1.5, ("Power", "Energy", "Water Works")),
    "telecom": (2, 1.5, ("Telecom", "Wireless", "Networks")),
    "healthcare": (7, 1.1, ("Health", "Clinic", "Care", "Pharmacy")),
    "education": (4, 0.8, ("Academy", "Learning", "Tutoring")),
    "entertainment": (4, 1.6, ("Studios", "Entertainment", "Cinemas")),
    "transport": (5, 1.0, ("Logistics", "Transport", "Freight", "Rides")),
    "construction": (7, 0.3, ("Builders", "Construction", "Contracting")),
    "manufacturing": (6, 0.3, ("Manufacturing", "Industries", "Works")),
    "technology": (7, 0.6, ("Technologies", "Software", "Labs", "Systems")),
    "finance": (4, 0.6, ("Capital", "Financial", "Advisors")),
    "real_estate": (5, 0.4, ("Properties", "Realty", "Homes")),
    "import_export": (3, 0.3, ("Trading", "Imports", "Global Trade")),
    "professional_services": (7, 0.5, ("Consulting", "Partners", "Associates", "Services")),
}
SUFFIXES = ("LLC", "Inc.", "Co.", "Ltd.", "Group", "Corp.", "")
SURNAMES = (
    "Ashford", "Bellamy", "Calloway", "Dunmore", "Everly", "Fairbanks", "Galloway", "Hartwell", "Iverson",
    "Jennings", "Kingsley", "Lockhart", "Merriweather", "Northcott", "Oakley", "Pemberton", "Quimby",
    "Radcliffe", "Sterling", "Thornbury", "Underwood", "Vance", "Whitcombe", "Yardley", "Zeller", "Baptiste",
    "Delacroix", "Etienne", "Fontaine", "Joseph", "Laurent", "Pierre", "Toussaint", "Marceau", "Bishop",
    "Carver", "Holloway", "Prescott", "Redfield", "Summit", "Harbor", "Meadow", "Granite", "Cedar", "Maple",
    "Juniper", "Willow", "Keystone", "Lighthouse", "Riverside", "Copperline", "Bluebird", "Silverleaf",
)
#: industry: (median payment, payments per month)
INDUSTRY_SPEND = {
    "retail": (60, 1.5), "grocery": (70, 4.0), "restaurants": (30, 3.0), "travel": (350, 0.3),
    "utilities": (110, 1.0), "telecom": (75, 1.0), "healthcare": (90, 0.4), "education": (200, 0.5),
    "entertainment": (35, 1.2), "transport": (25, 2.5), "construction": (900, 0.1),
    "manufacturing": (300, 0.2), "technology": (40, 0.8), "finance": (150, 0.5),
    "real_estate": (1400, 0.9), "import_export": (500, 0.2), "professional_services": (250, 0.3),
}
