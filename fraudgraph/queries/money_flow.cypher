// name: money_flow
// typology: general
// looks for: the money that moved from one account to another, directly or through up to three accounts in
//   between, in time order, hop by hop.
// a hit means: nothing by itself: it traces a flow an investigator is following.
// returns: id (each account on a path), label, score (the money that reached the target through it), evidence
// param: from_account             where the money starts
// param: to_account               where it ends
// param: max_hops = 3             most transfers on a path (1 to 4)
MATCH path = (src:Account {id: $from_account})-[:TRANSFERS_TO*1..4]->(dst:Account {id: $to_account})
WHERE length(path) <= $max_hops
UNWIND nodes(path) AS x
WITH x, count(path) AS paths
MATCH (x)-[:PERFORMS|BENEFITS_TO]-(t:Transaction)
WITH x, paths, sum(t.amount) AS moved
RETURN x.id AS id, 'Account' AS label, moved AS score,
       'on ' + toString(paths) + ' transfer paths from ' + $from_account + ' to ' + $to_account AS evidence
ORDER BY score DESC, id
