// name: circle_integrity
// typology: general
// looks for: savings circles whose payouts break their rotation (a member paid in a cycle other than their
//   place), whose pot goes to someone who is not a member, whose members stop paying in once they have been
//   paid, or whose members who do not know each other share a device.
// a hit means: a circle worth a look: a rigged rotation, an organizer taking the pot, or one person behind
//   several seats. Honest circles swap places by agreement now and then.
// returns: id (the circle), label, score (payouts out of turn or outside the circle, members who stopped
//   paying after their payout, pairs of seats sharing a device), evidence
// param: min_score = 1            least number of findings
MATCH (c:Circle)
OPTIONAL MATCH (c)-[paid:PAID_OUT]->(p:Person)
OPTIONAL MATCH (p)-[seat:MEMBER_OF]->(c)
WITH c, sum(CASE WHEN p IS NOT NULL AND (seat IS NULL OR seat.position <> paid.cycle) THEN 1 ELSE 0 END) AS off_turn
OPTIONAL MATCH (a:Person)-[:MEMBER_OF]->(c)<-[:MEMBER_OF]-(b:Person)
WHERE a.id < b.id AND exists { (a)-[:USES_DEVICE]->(x:Device)<-[:USES_DEVICE]-(b) WHERE NOT (a)-[:KNOWS]-(b) }
WITH c, off_turn, count(b) AS sharing
OPTIONAL MATCH (c)-[paid:PAID_OUT]->(r:Person)-[stop:MISSED|DROPPED_OUT]->(c)
WHERE stop.at > paid.at
WITH c, off_turn, sharing, count(DISTINCT r) AS quitters
WHERE off_turn + quitters + sharing >= $min_score
RETURN c.id AS id, 'Circle' AS label, toFloat(off_turn + quitters + sharing) AS score,
       toString(off_turn) + ' payouts out of turn or outside the circle, ' + toString(quitters) +
       ' members who stopped paying after their payout, ' + toString(sharing) +
       ' pairs of members sharing a device without knowing each other' AS evidence
ORDER BY score DESC, id
