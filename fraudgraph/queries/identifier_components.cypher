// name: identifier_components
// typology: general
// looks for: groups of persons tied together through devices they share, directly or through one another
//   (a connected component of the person-device graph, up to three devices apart).
// a hit means: a cluster behind shared hardware: a ring, a farm, or a family, an office, a shop's sign-up
//   tablet. The bigger the group and the more devices it spans, the more it asks for a look.
// returns: id (each person of a group), label, score (persons in the group), evidence
// param: min_size = 5             least number of persons in a group
MATCH (p:Person)
OPTIONAL MATCH (p)-[:USES_DEVICE*2..6]-(q:Person)
WITH p, collect(DISTINCT q) AS others
WITH p, [p] + [x IN others WHERE x <> p] AS group
WHERE size(group) >= $min_size
WITH p, group, reduce(low = p.id, x IN group | CASE WHEN x.id < low THEN x.id ELSE low END) AS component
RETURN p.id AS id, 'Person' AS label, toFloat(size(group)) AS score,
       'one of ' + toString(size(group)) + ' persons tied by shared devices (group of ' + component + ')' AS evidence
ORDER BY score DESC, id
