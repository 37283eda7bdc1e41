// name: account_takeover
// typology: account_takeover
// looks for: a profile changed (e-mail, phone or address) from a device the person had used for only a few
//   days, then money sent out of the person's accounts within days.
// a hit means: the sequence of a takeover: new device, identity change, drain. A customer with a new phone
//   who changes an e-mail address and moves savings does the same; the amount and the new payee tell them apart.
// returns: id (the person), label, score (amount sent, or tried, within the window after the change), evidence
// param: new_device_days = 7      the device was first used at most this many days before the change
// param: drain_days = 7           money out counted this many days after the change
// param: min_amount = 1000.0      the least sum moved out that counts as a drain
MATCH (p:Person)-[c:CHANGED_IDENTITY]->(d:Device)<-[u:USES_DEVICE]-(p)
WHERE u.first_seen >= c.at - duration({days: $new_device_days})
MATCH (p)-[:OWNS]->(a:Account)-[:PERFORMS]->(t:Transaction)-[:BENEFITS_TO]->(b:Account)
WHERE t.at >= c.at AND t.at <= c.at + duration({days: $drain_days})
WITH p, c, sum(t.amount) AS moved, count(DISTINCT b) AS payees
WHERE moved >= $min_amount
RETURN p.id AS id, 'Person' AS label, max(moved) AS score,
       'changed ' + collect(DISTINCT c.field)[0] + ' from a new device, then moved ' + toString(round(max(moved))) +
       ' to ' + toString(max(payees)) + ' payees' AS evidence
ORDER BY score DESC, id
