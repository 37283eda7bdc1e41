// name: trade_based_laundering
// typology: trade_based_laundering
// looks for: supply relationships whose invoices are far from the declared value of the goods shipped.
// a hit means: over- or under-invoicing, or invoices for goods that never ship or ship once (phantom shipments,
//   multiple invoicing: the goods declared per invoice fall short). Branded goods carry a markup and clearance
//   stock a discount; beyond $max_ratio or below $min_ratio few honest trades go.
// returns: id (each company of the relationship), label, score (how far the invoice is from the goods' value,
//   as |log ratio|), evidence
// param: max_ratio = 1.5          invoices above this multiple of the goods' value
// param: min_ratio = 0.6          invoices below this multiple of the goods' value
MATCH (seller:Company)-[s:SUPPLIES]->(buyer:Company)
WHERE s.goods_value > 0
WITH seller, buyer, s, s.invoice_amount / s.goods_value AS ratio
WHERE ratio > $max_ratio OR ratio < $min_ratio
UNWIND [seller, buyer] AS x
WITH x, max(abs(log(ratio))) AS score, collect(round(100 * ratio) / 100)[0] AS ratio
RETURN x.id AS id, 'Company' AS label, score,
       'invoices at ' + toString(ratio) + ' times the value of the goods' AS evidence
ORDER BY score DESC, id
