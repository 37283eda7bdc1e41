// name: shared_identifiers
// typology: general
// looks for: pairs of persons who share a phone number, an e-mail address, a street address or a national id,
//   or a device, the first thing an investigator checks.
// a hit means: two profiles with something in common that should be personal. Families share addresses
//   and devices; a shared phone or identity number between strangers is rarer and weighs more.
// returns: id (each person of a pair), label, score (weighted identifiers shared, summed over partners), evidence
// param: max_group = 50          identifiers shared by more persons than this are too common to count
// param: min_score = 2            least weight over all partners (PII counts 2, a device 1)
MATCH (x:Person)
UNWIND [['phone', x.phone], ['email', x.email], ['address', x.address], ['national_id', x.national_id]] AS key
WITH key, collect(x) AS people
WHERE size(people) > 1 AND size(people) <= $max_group
UNWIND people AS p
UNWIND people AS q
WITH p, q, key
WHERE p.id < q.id
WITH p, q, 2 * count(DISTINCT key[0]) AS weight
UNWIND [p, q] AS x
WITH x, sum(weight) AS pii, count(*) AS partners
OPTIONAL MATCH (x)-[:USES_DEVICE]->(shared:Device)<-[:USES_DEVICE]-(other:Person)
WITH x, pii, partners, count(DISTINCT other) AS co_users
WITH x, pii + co_users AS score, partners, co_users
WHERE score >= $min_score
RETURN x.id AS id, 'Person' AS label, toFloat(score) AS score,
       'shares PII with ' + toString(partners) + ' persons and a device with ' + toString(co_users) AS evidence
ORDER BY score DESC, id
