// name: fraud_ring
// typology: fraud_ring
// looks for: persons tied to several others by shared identifiers (phone, address, the leading digits of the
//   national id, a device, an IP) who were all created within weeks of each other.
// a hit means: a synthetic-identity ring. Households share an address, a tablet and a home IP and may join
//   together; shared identity-number prefixes and phones across unrelated surnames do not happen in a family.
// returns: id (the person), label, score (identifiers shared with others, summed over pairs, PII counting
//   three times a device or an IP), evidence
// param: created_days = 30        the pair's profiles were created at most this many days apart
// param: max_group = 50          identifiers shared by more persons than this are too common to count
// param: min_score = 6            least weight of shared identifiers over all pairs
MATCH (x:Person)
UNWIND [['national_id', left(x.national_id, 6)], ['phone', x.phone], ['address', x.address]] AS key
WITH key, collect(x) AS people
WHERE size(people) > 1 AND size(people) <= $max_group
UNWIND people AS p
UNWIND people AS q
WITH DISTINCT p, q
WHERE p.id < q.id AND abs(duration.inSeconds(p.created_at, q.created_at).seconds) <= $created_days * 86400
WITH p, q,
     CASE WHEN p.phone = q.phone THEN 1 ELSE 0 END +
     CASE WHEN p.address = q.address THEN 1 ELSE 0 END +
     CASE WHEN left(p.national_id, 6) = left(q.national_id, 6) THEN 1 ELSE 0 END AS pii
WITH p, q, pii,
     size([(p)-[:USES_DEVICE]->(d)<-[:USES_DEVICE]-(q) | d]) + size([(p)-[:USES_IP]->(i)<-[:USES_IP]-(q) | i]) AS shared
WHERE pii >= 1 AND pii + shared >= 2
WITH [p, q] AS pair, 3 * pii + shared AS weight
UNWIND pair AS x
WITH x, sum(weight) AS score, count(*) AS partners
WHERE score >= $min_score
RETURN x.id AS id, 'Person' AS label, toFloat(score) AS score,
       'shares identifiers (weight ' + toString(score) + ') with ' + toString(partners) + ' persons created within ' +
       toString($created_days) + ' days' AS evidence
ORDER BY score DESC, id
