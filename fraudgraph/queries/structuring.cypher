// name: structuring
// typology: structuring
// looks for: several deposits or transfers just under a reporting threshold by one person within weeks.
// a hit means: a sum broken up to stay under the threshold. Rent, tuition, a car sale and a cash business
//   sit near the same values; how many, how close together and how round tell them apart.
// returns: id (the person), label, score (payments just under a threshold), evidence
// param: thresholds = [10000.0, 3000.0]   the reporting thresholds
// param: band = 0.8               "just under" means at least this share of a threshold
// param: window_days = 30         the payments fall within this many days of the first
// param: min_count = 3            least number of such payments
MATCH (p:Person)-[:OWNS]->(a:Account)-[:PERFORMS|BENEFITS_TO]-(t:Transaction)
WHERE (t.type = 'cash_deposit' OR (a)-[:PERFORMS]->(t))
  AND any(h IN $thresholds WHERE t.amount < h AND t.amount >= $band * h)
WITH p, t ORDER BY t.at
WITH p, collect(t) AS near
WHERE size(near) >= $min_count
WITH p, near, [x IN near WHERE x.at <= near[0].at + duration({days: $window_days})] AS first_window
WITH p, near, max(size(first_window)) AS burst
WHERE burst >= $min_count
RETURN p.id AS id, 'Person' AS label, toFloat(size(near)) AS score,
       toString(size(near)) + ' payments just under a reporting threshold, ' + toString(burst) +
       ' within ' + toString($window_days) + ' days' AS evidence
ORDER BY score DESC, id
