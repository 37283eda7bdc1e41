// name: corporate_account_takeover
// typology: corporate_account_takeover
// looks for: a company's business account that links new payees within days of one of its staff first using
//   a new device, and pays them within days of each link.
// a hit means: payees added and paid from a new device, as an attacker holding an officer's login does. A new
//   treasury officer with a new work laptop who takes on a supplier in the first days does the same; most add
//   their suppliers over weeks. The score is the money paid, so a burst of new payees ranks first.
// returns: id (the business account), label, score (paid to those payees within the window), evidence
// param: device_days = 3          payees linked this many days after a device's first use at most
// param: pay_days = 5             payments counted this many days after a payee's link
// param: min_amount = 1000.0      the least sum paid to those payees that counts
MATCH (c:Company)-[:OWNS]->(a:Account)-[l:LINKED]->(b:Account)
MATCH (p:Person)-[:WORKS_AT]->(c)
MATCH (p)-[u:USES_DEVICE]->(:Device)
WHERE l.at >= u.first_seen AND l.at <= u.first_seen + duration({days: $device_days})
WITH a, b, min(l.at) AS linked
MATCH (a)-[:PERFORMS]->(t:Transaction)-[:BENEFITS_TO]->(b)
WHERE t.at >= linked AND t.at <= linked + duration({days: $pay_days})
WITH a, count(DISTINCT b) AS payees, sum(t.amount) AS paid
WHERE paid >= $min_amount
RETURN a.id AS id, 'Account' AS label, paid AS score,
       'paid ' + toString(round(paid)) + ' to ' + toString(payees) + ' payees linked within ' +
       toString($device_days) + ' days of a staff member first using a new device' AS evidence
ORDER BY score DESC, id
