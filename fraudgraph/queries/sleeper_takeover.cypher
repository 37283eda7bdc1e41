// name: sleeper_takeover
// typology: sleeper_takeover
// looks for: a customer who has not logged in for weeks whose profile is changed from a device first used
//   minutes or days before, followed by money moving out.
// a hit means: a dormant profile woken up by someone else. A customer coming back after a break, with a new
//   phone, looks the same; a drain within days does not.
// returns: id (the person), label, score (amount moved out, or tried, after the change), evidence
// param: dormant_days = 30        days before the new device without a session of the person
// param: new_device_days = 7      the device was first used at most this many days before the change
// param: drain_days = 7           money out counted this many days after the change
MATCH (p:Person)-[c:CHANGED_IDENTITY]->(d:Device)<-[u:USES_DEVICE]-(p)
WHERE u.first_seen >= c.at - duration({days: $new_device_days})
OPTIONAL MATCH (p)-[:STARTED]->(before:Session)
WHERE before.started_at < u.first_seen AND before.started_at >= u.first_seen - duration({days: $dormant_days})
WITH p, c, u, count(before) AS recent
WHERE recent = 0
MATCH (p)-[:OWNS]->(a:Account)-[:PERFORMS]->(t:Transaction)
WHERE t.at >= c.at AND t.at <= c.at + duration({days: $drain_days}) AND t.type <> 'fee'
WITH p, sum(t.amount) AS moved, count(t) AS transfers
RETURN p.id AS id, 'Person' AS label, moved AS score,
       'no session for ' + toString($dormant_days) + ' days, then an identity change from a new device and ' +
       toString(transfers) + ' payments worth ' + toString(round(moved)) AS evidence
ORDER BY score DESC, id
