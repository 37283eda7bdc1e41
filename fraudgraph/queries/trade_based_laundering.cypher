// name: trade_based_laundering
// typology: trade_based_laundering
// looks for: supply relationships whose invoices are far from the declared value of the goods shipped: per
//   shipment, the invoices against its bill of lading, and over the relationship as a whole.
// a hit means: over- or under-invoicing, or invoices for goods that never ship or ship once (phantom shipments,
//   multiple invoicing: the goods declared per invoice fall short). Branded goods carry a markup and clearance
//   stock a discount; beyond $max_ratio or below $min_ratio few honest trades go. Goods invoiced in advance and
//   consolidated shipments look alike for a while.
// returns: id (each company of the relationship), label, score (how far the invoices are from the goods' value,
//   as |log ratio|), evidence
// param: max_ratio = 1.5          invoices above this multiple of the goods' value
// param: min_ratio = 0.6          invoices below this multiple of the goods' value
// param: bill_days = 45           an invoice with no bill of lading this many days on counts as unshipped
MATCH (:Company)-[all:INVOICED]->(:Company)
WITH max(all.at) AS horizon
MATCH (seller:Company)-[i:INVOICED]->(buyer:Company)
OPTIONAL MATCH (seller)-[b:SHIPPED]->(buyer)
WHERE b.shipment_id = i.shipment_id
WITH seller, buyer, horizon, i.shipment_id AS shipment, sum(i.invoice_amount) AS invoiced, min(i.at) AS first,
     max(b.declared_value) AS declared
WITH seller, buyer,
     CASE WHEN declared > 0 THEN invoiced / declared
          WHEN declared IS NULL AND first < horizon - duration({days: $bill_days}) THEN 100.0
          ELSE 1.0 END AS ratio
WITH seller, buyer, collect(ratio) AS ratios
OPTIONAL MATCH (seller)-[s:SUPPLIES]->(buyer)
WITH seller, buyer, ratios + CASE WHEN s.goods_value > 0 THEN [s.invoice_amount / s.goods_value] ELSE [] END AS ratios
UNWIND ratios AS ratio
WITH seller, buyer, ratio
WHERE ratio > $max_ratio OR ratio < $min_ratio
WITH seller, buyer, max(abs(log(ratio))) AS score, count(ratio) AS off
UNWIND [seller, buyer] AS x
WITH x, max(score) AS score, sum(off) AS off
RETURN x.id AS id, 'Company' AS label, score,
       toString(off) + ' shipments or relationships invoiced at up to ' + toString(round(100 * exp(score)) / 100) +
       ' times (or down to 1/' + toString(round(100 * exp(score)) / 100) + ' of) the value of the goods shipped'
       AS evidence
ORDER BY score DESC, id
