// name: collusion
// typology: collusion
// looks for: savings-circle members paid out early who then stop paying in (missed contributions or dropping
//   out after their payout), and merchants whose card sales come back as refunds within days to the same customers.
// a hit means: a rigged rotation or fake sales cycled through a merchant. Honest circles have late payers and
//   hardship exits too, and shops with high return rates refund many customers; how many, and after a payout, differ.
// returns: id (the person, or the merchant), label, score (contributions stopped, or refunds), evidence
// param: refund_days = 7          a refund within this many days of a card payment by the same customer
// param: min_refunded = 3         least number of customers whose payments came back
MATCH (c:Circle)-[paid:PAID_OUT]->(p:Person)
MATCH (p)-[stop:MISSED|DROPPED_OUT]->(c)
WHERE stop.at > paid.at
WITH p, c, paid, count(stop) AS stops
RETURN p.id AS id, 'Person' AS label, toFloat(stops) AS score,
       'paid out in cycle ' + toString(paid.cycle) + ' of ' + c.id + ', then ' + toString(stops) +
       ' missed or dropped contributions' AS evidence
UNION
MATCH (m:Company {is_merchant: true})-[:OWNS]->(ma:Account)
MATCH (ca:Account)-[:PERFORMS]->(buy:Transaction {type: 'card_payment'})-[:BENEFITS_TO]->(ma)
MATCH (ma)-[:PERFORMS]->(back:Transaction {type: 'refund'})-[:BENEFITS_TO]->(ca)
WHERE back.at > buy.at AND back.at <= buy.at + duration({days: $refund_days})
WITH ma, m, count(DISTINCT ca) AS customers, count(back) AS refunds
WHERE customers >= $min_refunded
RETURN m.id AS id, 'Company' AS label, toFloat(refunds) AS score,
       m.name + ' refunded ' + toString(refunds) + ' card payments of ' + toString(customers) +
       ' customers within ' + toString($refund_days) + ' days' AS evidence
