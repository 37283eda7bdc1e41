// name: fan_in_fan_out
// typology: general
// looks for: accounts that in one week receive from, or send to, many distinct accounts.
// a hit means: a collection point or a distribution point (layering, mule herding, a payroll run). Businesses
//   do it every week; a person's account rarely does.
// returns: id (the account), label, score (the most distinct counterparties in a week), evidence; an account can
//   appear twice (fan-in and fan-out), and its highest score counts
// param: min_counterparties = 5   least distinct counterparties in one week
// param: person_accounts_only = true   only accounts that a person owns
MATCH (a:Account)-[:PERFORMS]->(t:Transaction)-[:BENEFITS_TO]->(other:Account)
WHERE other <> a AND (NOT $person_accounts_only OR (a)<-[:OWNS]-(:Person))
WITH a, duration.inSeconds(datetime('1970-01-01T00:00:00Z'), t.at).seconds / 604800 AS week,
     count(DISTINCT other) AS counterparties
WHERE counterparties >= $min_counterparties
WITH a, max(counterparties) AS score
RETURN a.id AS id, 'Account' AS label, toFloat(score) AS score,
       'paid ' + toString(score) + ' distinct accounts in one week' AS evidence
UNION
MATCH (other:Account)-[:PERFORMS]->(t:Transaction)-[:BENEFITS_TO]->(a:Account)
WHERE other <> a AND (NOT $person_accounts_only OR (a)<-[:OWNS]-(:Person))
WITH a, duration.inSeconds(datetime('1970-01-01T00:00:00Z'), t.at).seconds / 604800 AS week,
     count(DISTINCT other) AS counterparties
WHERE counterparties >= $min_counterparties
WITH a, max(counterparties) AS score
RETURN a.id AS id, 'Account' AS label, toFloat(score) AS score,
       'paid by ' + toString(score) + ' distinct accounts in one week' AS evidence
