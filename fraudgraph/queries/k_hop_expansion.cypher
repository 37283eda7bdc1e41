// name: k_hop_expansion
// typology: general
// looks for: everything within a few relationships of an alerted account: its owners, their devices and IPs,
//   the persons they know, the accounts they pay and are paid by (not merchants or employers: hubs that tie everyone together).
// a hit means: nothing by itself: it is the neighbourhood an investigator opens first.
// returns: id, label, score (closeness: 1 / hops), evidence (how it is reached)
// param: account_id               the alerted account's id
// param: hops = 2                 how far to expand (1 to 3)
MATCH (start:Account {id: $account_id})
MATCH path = (start)-[:OWNS|USES_DEVICE|USES_IP|KNOWS|TRANSFERS_TO|MEMBER_OF*1..3]-(x)
WHERE length(path) <= $hops AND x <> start
WITH x, min(length(path)) AS hops, collect(path)[0] AS first
RETURN x.id AS id, labels(x)[0] AS label, 1.0 / hops AS score,
       toString(hops) + ' hops: ' + reduce(s = '', r IN relationships(first) | s + type(r) + ' ') AS evidence
ORDER BY score DESC, id
