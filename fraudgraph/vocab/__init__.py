"""The vocabulary every stage draws from: Faker-style data and the providers that sample it.

The bottom layer, beside :mod:`fraudgraph.units`: it imports no stage, and
every stage may import it. Data tuples live beside the code (as Faker's
providers keep theirs), providers draw from a generator they are given and own
no random state, and a locale or a corridor adds rows, never logic.

- :mod:`~fraudgraph.vocab.pii`: e-mail, phone and identity-number ranges that can name no real person;
- :mod:`~fraudgraph.vocab.geography`: cities with coordinates and population weights, currencies;
- :mod:`~fraudgraph.vocab.industries`: industries, company names, what they sell and for how much;
- :mod:`~fraudgraph.vocab.devices`: app and browser clients (type, OS, user agent, emulator);
- :mod:`~fraudgraph.vocab.networks`: network operators and the reserved address blocks;
- :mod:`~fraudgraph.vocab.market_hours`: when the exchange trades and companies publish;
- :mod:`~fraudgraph.vocab.corridors`: remittance corridors, recipients and unassignable phones;
- :mod:`~fraudgraph.vocab.trade`: unit prices of goods, seaports, carriers and vessels, payment terms;
- :mod:`~fraudgraph.vocab.draw`: the draws providers share.
"""
