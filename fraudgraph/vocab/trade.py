"""Trade: reference unit prices of goods, seaports and the carriers that sail between them.

Ports carry UN/LOCODE-style codes (country, then three letters) and are real
seaports: they name places, not people. Carriers and vessels are fictional.
"""

from __future__ import annotations

#: Rough market price of one unit of each kind of goods (turns a shipment's value into a quantity).
UNIT_PRICE = {"electronics": 250.0, "textiles": 12.0, "food": 3.0, "machinery": 4_000.0, "chemicals": 40.0,
              "furniture": 300.0, "vehicles_parts": 150.0, "medical_supplies": 60.0}

#: Seaports as (UN/LOCODE, name), busiest first.
PORTS = (
    ("CNSHA", "Shanghai"), ("SGSIN", "Singapore"), ("CNNGB", "Ningbo"), ("KRPUS", "Busan"),
    ("NLRTM", "Rotterdam"), ("AEJEA", "Jebel Ali"), ("BEANR", "Antwerp"), ("DEHAM", "Hamburg"),
    ("USLAX", "Los Angeles"), ("USLGB", "Long Beach"), ("USNYC", "New York"), ("USSAV", "Savannah"),
    ("USHOU", "Houston"), ("USMIA", "Miami"), ("PAPTY", "Panama City"), ("MXZLO", "Manzanillo"),
    ("BRSSZ", "Santos"), ("COCTG", "Cartagena"), ("DOCAU", "Caucedo"), ("JMKIN", "Kingston"),
    ("HTPAP", "Port-au-Prince"), ("ESVLC", "Valencia"), ("GBFXT", "Felixstowe"), ("MAPTM", "Tanger Med"),
    ("INNSA", "Nhava Sheva"), ("VNSGN", "Ho Chi Minh City"), ("MYPKG", "Port Klang"), ("JPTYO", "Tokyo"),
)
#: How likely each port is to load or discharge a shipment (busier ports more).
PORT_WEIGHT = tuple(1.0 / (1 + 0.15 * i) for i in range(len(PORTS)))

#: Ocean carriers (fictional).
CARRIERS = ("Meridian Line", "Bluewater Shipping", "Northstar Container Lines", "Coral Sea Freight",
            "Atlas Maritime", "Harborlight Logistics", "Tradewind Carriers", "Keystone Ocean")
#: Vessel name stems (fictional); a vessel is a stem and a roman numeral.
VESSELS = ("Aurora", "Boreas", "Calypso", "Delphine", "Estrella", "Fortuna", "Galatea", "Halcyon", "Isolde",
           "Juniper", "Kestrel", "Lyra", "Marisol", "Nerissa", "Orion", "Perdita")
NUMERALS = ("I", "II", "III", "IV", "V", "VI")
