"""The one toolkit of the typologies: what every injector builds its instances with.

- :mod:`~.toolkit`: :class:`Toolkit`, bound to one graph, RNG and context, made of :mod:`~.view`
  (lookups), :mod:`~.recruiting` (ordinary members), :mod:`~.entities` (new entities built like
  legitimate ones) and :mod:`~.timing` (drift, windows, monthly rates);
- :mod:`~.instances`: :class:`Draft`, the one way to assemble a pattern instance;
- :mod:`~.edges`: edges batched into one ``Toolkit.link`` per edge type;
- :mod:`~.ledger`: :class:`MoneyLedger`, the scripted money of the money typologies;
- :mod:`~.identities`: synthetic identities living like legitimate persons; :mod:`~.rings` (identities
  one operator controls), :mod:`~.exits` (proxy exits away from home), :mod:`~.rotation` (address pools),
  :mod:`~.herding` (accounts operated from someone else's device);
- money shapes: :mod:`~.amounts`, :mod:`~.layering`, :mod:`~.routines` (legitimate flows that look like
  laundering), :mod:`~.thresholds` (reporting thresholds), :mod:`~.card_spending`;
- world access: :mod:`~.circles`, :mod:`~.merchants`, :mod:`~.friends`, :mod:`~.markets`,
  :mod:`~.trading_times`, :mod:`~.trade_partners`, :mod:`~.business` (companies' books, new payees, invoices);
- :mod:`~.keys`: edge keys and their stems.

Every typology's min/max pairs are validated by
:class:`~fraudgraph.config.ParameterModel`, the base of every injector config.
A typology imports this kit and :mod:`fraudgraph.patterns.base`, never another typology;
a kit module never imports a typology.
"""

from fraudgraph.patterns.kit.amounts import (
    blend,
    blend_with_pool,
    loud_amounts,
    typical_transfers,
)
from fraudgraph.patterns.kit.edges import Links
from fraudgraph.patterns.kit.identities import (
    Identities,
    action_sessions,
    attach_proxies,
    camouflage,
    first_login,
    logins,
    open_accounts,
    pool_addresses,
)
from fraudgraph.patterns.kit.instances import Draft
from fraudgraph.patterns.kit.keys import (
    C_OWNS,
    CONTEXT,
    EVERYDAY,
    KNOWS,
    OWNS,
    PAYS,
    PAYS_STEM,
    SEEN_AT,
    SPENDING,
    TRANSFERS,
    TRANSFERS_STEM,
    USES_DEVICE,
    USES_IP,
    WORKS_AT,
    EdgeKey,
    knows_pair,
    stem,
)
from fraudgraph.patterns.kit.ledger import (
    MoneyLedger,
    balanced,
    onboard,
    scheduled_instance,
)
from fraudgraph.patterns.kit.recruiting import eligible
from fraudgraph.patterns.kit.timing import drifted, monthly_rate, trend
from fraudgraph.patterns.kit.toolkit import Toolkit
from fraudgraph.patterns.kit.view import release_caches

__all__ = [
    "C_OWNS", "CONTEXT", "EVERYDAY", "KNOWS", "OWNS", "PAYS", "PAYS_STEM", "SEEN_AT", "SPENDING", "TRANSFERS",
    "TRANSFERS_STEM", "USES_DEVICE", "USES_IP", "WORKS_AT", "Draft", "EdgeKey", "Identities", "Links",
    "MoneyLedger", "Toolkit", "action_sessions", "attach_proxies", "balanced", "blend", "blend_with_pool",
    "camouflage", "drifted", "eligible", "first_login", "knows_pair", "logins", "loud_amounts", "monthly_rate", "onboard",
    "open_accounts", "pool_addresses", "release_caches", "scheduled_instance", "stem", "trend", "typical_transfers",
]
