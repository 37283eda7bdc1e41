// name: device_sharing
// typology: device_sharing
// looks for: a device on which many persons who do not know each other started sessions.
// a hit means: a device farm. Household tablets, office desktops and shop sign-up tablets are shared too, but
//   by persons who know each other or work together; the share of strangers is the score.
// returns: id (each person on the device), label, score (strangers on the device), evidence
// param: min_persons = 5          least number of persons on the device
MATCH (p:Person)-[:STARTED]->(:Session)-[:FROM]->(d:Device)
WITH d, collect(DISTINCT p) AS users
WHERE size(users) >= $min_persons
UNWIND users AS p
OPTIONAL MATCH (p)-[:KNOWS|WORKS_AT]-(x)
WHERE x IN users OR (x:Company AND size([u IN users WHERE (u)-[:WORKS_AT]->(x)]) > 1)
WITH d, users, p, count(x) AS ties
WITH d, users, size([t IN collect(ties) WHERE t = 0]) AS strangers
WHERE strangers >= $min_persons
UNWIND users AS p
RETURN p.id AS id, 'Person' AS label, toFloat(strangers) AS score,
       'one of ' + toString(size(users)) + ' persons on device ' + d.id + ' (' + d.device_type + '), ' +
       toString(strangers) + ' of them tied to no other user' AS evidence
ORDER BY score DESC, id
