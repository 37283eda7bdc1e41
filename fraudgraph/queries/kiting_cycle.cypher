// name: kiting_cycle
// typology: kiting_cycle
// looks for: money that moves three hops along a directed cycle of three to six accounts, each hop within
//   hours of the one before and a little smaller.
// a hit means: a kite or a layering loop. Roommates paying each other their share of the bills and partners
//   sweeping a firm's float also close loops; their hops are days apart or their amounts do not decay.
// returns: id (each account on the cycle), label, score (time-ordered decaying runs through it), evidence
// param: hop_hours = 48           most hours between one hop and the next
// param: min_decay = 0.8          each hop carries at least this share of the one before, and no more than it
MATCH (a:Account)-[:TRANSFERS_TO]->(b:Account)-[:TRANSFERS_TO]->(c:Account)-[:TRANSFERS_TO]->(d:Account)
WHERE a <> b AND b <> c AND a <> c AND d <> b AND d <> c
  AND (d = a OR exists { (d)-[:TRANSFERS_TO*1..3]->(a) })
WITH DISTINCT a, b, c, d
MATCH (a)-[:PERFORMS]->(t1:Transaction)-[:BENEFITS_TO]->(b)-[:PERFORMS]->(t2:Transaction)-[:BENEFITS_TO]->(c)
WHERE t1.at < t2.at AND t2.at <= t1.at + duration({hours: $hop_hours})
  AND t2.amount <= t1.amount AND t2.amount >= $min_decay * t1.amount
MATCH (c)-[:PERFORMS]->(t3:Transaction)-[:BENEFITS_TO]->(d)
WHERE t2.at < t3.at AND t3.at <= t2.at + duration({hours: $hop_hours})
  AND t3.amount <= t2.amount AND t3.amount >= $min_decay * t2.amount
WITH a, b, c, d, count(DISTINCT t1) AS runs
UNWIND (CASE WHEN d = a THEN [a, b, c] ELSE [a, b, c, d] END) AS x
WITH x, sum(runs) AS runs
RETURN x.id AS id, 'Account' AS label, toFloat(runs) AS score,
       'on ' + toString(runs) + ' time-ordered runs of decaying transfers around a loop of accounts' AS evidence
ORDER BY score DESC, id
