// name: liquidity_crunch
// typology: liquidity_crunch
// looks for: a checking account whose pulled bill payments come back for insufficient funds (R01) again and
//   again while it goes on paying out after the first of them came back.
// a hit means: an account paying beyond its means, knowingly. A customer in a bad month bounces a bill or two
//   as well; one who stops, or is helped out, pays nothing more into the returns.
// returns: id (the account), label, score (returns for funds plus payments made after the first), evidence
// param: min_returns = 2          least R01 returns of the account
MATCH (a:Account)-[r:RETURNED]->(:Account)
WHERE r.return_code = 'R01'
WITH a, count(r) AS returns, min(r.at) AS first_return, sum(r.amount) AS returned
WHERE returns >= $min_returns
OPTIONAL MATCH (a)-[:PERFORMS]->(t:Transaction)
WHERE t.at > first_return AND t.type <> 'fee'
WITH a, returns, returned, count(t) AS after
RETURN a.id AS id, 'Account' AS label, toFloat(returns + after) AS score,
       toString(returns) + ' payments worth ' + toString(round(returned)) +
       ' returned for insufficient funds, and ' + toString(after) + ' payments made after the first came back'
       AS evidence
ORDER BY score DESC, id
