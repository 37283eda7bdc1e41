// name: money_mule
// typology: money_mule
// looks for: a person's account that passes on, within a day or two, most of what other persons' accounts
//   send it: several payments in and their near-equal sum out (a chain, a gather), or one payment in split
//   over several payments out.
// a hit means: a pass-through account, the mule's mark. Crews paid out of a client's payment, landlords,
//   group collections and remittance chains pass money on too, on their own rhythm.
// returns: id (the account), label, score (pass-throughs), evidence; an account can appear twice (once per
//   shape), and its highest score counts
// param: window_hours = 48        most hours between money in and money out
// param: min_share = 0.85         the money out is at least this share of the money in, and no more than it
MATCH (m:Account)<-[:OWNS]-(:Person)
MATCH (src:Account)-[:PERFORMS]->(tin:Transaction)-[:BENEFITS_TO]->(m)-[:PERFORMS]->(tout:Transaction)
      -[:BENEFITS_TO]->(dst:Account)
WHERE src <> dst AND src <> m AND dst <> m AND tin.status = 'completed' AND (src)<-[:OWNS]-(:Person)
  AND tout.at > tin.at AND tout.at <= tin.at + duration({hours: $window_hours})
WITH m, tout, sum(tin.amount) AS received, count(tin) AS ins
WHERE tout.amount >= $min_share * received AND tout.amount <= received
WITH m, count(tout) AS times, max(ins) AS widest
RETURN m.id AS id, 'Account' AS label, toFloat(times) AS score,
       toString(times) + ' payments out, each ' + toString(round(100 * $min_share)) + '-100% of what up to ' +
       toString(widest) + ' persons sent in the ' + toString($window_hours) + ' hours before' AS evidence
UNION
MATCH (m:Account)<-[:OWNS]-(:Person)
MATCH (src:Account)-[:PERFORMS]->(tin:Transaction)-[:BENEFITS_TO]->(m)-[:PERFORMS]->(tout:Transaction)
      -[:BENEFITS_TO]->(dst:Account)
WHERE src <> dst AND src <> m AND dst <> m AND tin.status = 'completed' AND (src)<-[:OWNS]-(:Person)
  AND tout.at > tin.at AND tout.at <= tin.at + duration({hours: $window_hours})
WITH m, tin, sum(tout.amount) AS passed, count(tout) AS outs
WHERE outs > 1 AND passed >= $min_share * tin.amount AND passed <= tin.amount
WITH m, count(tin) AS times, max(outs) AS widest
RETURN m.id AS id, 'Account' AS label, toFloat(times) AS score,
       toString(times) + ' payments in, each split ' + toString(round(100 * $min_share)) + '-100% over up to ' +
       toString(widest) + ' payments out within ' + toString($window_hours) + ' hours' AS evidence
