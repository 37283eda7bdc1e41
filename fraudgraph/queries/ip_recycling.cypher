// name: ip_recycling
// typology: ip_recycling
// looks for: persons who rotate through two or more VPN or hosting addresses that many unrelated persons use.
// a hit means: a pool of proxy exits shared by a fraud operation. Customers of one commercial VPN rotate
//   too; a small pool used by persons who open accounts through it is the difference.
// returns: id (the person), label, score (addresses of the pool the person used), evidence
// param: min_persons = 5          least number of persons behind an address for it to count as shared
// param: min_addresses = 2        least number of shared addresses a person used
MATCH (i:IP)<-[:VIA]-(:Session)<-[:STARTED]-(p:Person)
WHERE i.kind IN ['vpn', 'hosting']
WITH i, collect(DISTINCT p) AS users
WHERE size(users) >= $min_persons
UNWIND users AS p
WITH p, collect(DISTINCT i.address) AS pool, sum(size(users)) AS crowd
WHERE size(pool) >= $min_addresses
RETURN p.id AS id, 'Person' AS label, toFloat(size(pool)) + crowd / 1000.0 AS score,
       'logged in through ' + toString(size(pool)) + ' shared proxy addresses (' + pool[0] + ', ...)' AS evidence
ORDER BY score DESC, id
