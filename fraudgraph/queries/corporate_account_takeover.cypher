// name: corporate_account_takeover
// typology: corporate_account_takeover
// looks for: a company's business account that links new payees and pays them within days of each link,
//   several of them close together.
// a hit means: payees added and paid in a burst, as an attacker holding an officer's login does. A company
//   that takes on new suppliers does the same, but spreads them over weeks; the score is the money paid to the
//   payees linked within one window, so a burst of new payees ranks first.
// returns: id (the business account), label, score (paid to the payees linked within the window), evidence
// param: window_days = 3          payees linked this close together count as one burst
// param: pay_days = 5             payments counted this many days after a payee's link
// param: min_amount = 1000.0      the least sum paid to a burst's payees that counts
MATCH (c:Company)-[:OWNS]->(a:Account)-[l:LINKED]->(b:Account)
WITH a, b, min(l.at) AS linked
MATCH (a)-[:PERFORMS]->(t:Transaction)-[:BENEFITS_TO]->(b)
WHERE t.at >= linked AND t.at <= linked + duration({days: $pay_days})
WITH a, b, linked, sum(t.amount) AS paid
WITH a, collect(linked) AS links, collect(paid) AS paids
UNWIND range(0, size(links) - 1) AS i
WITH a, links, paids, i,
     [j IN range(0, size(links) - 1) WHERE links[j] >= links[i] AND links[j] <= links[i] + duration({days: $window_days})] AS burst
WITH a, size(links) AS payees, size(burst) AS n, reduce(s = 0.0, j IN burst | s + paids[j]) AS paid
WHERE paid >= $min_amount
WITH a, payees, max(n) AS n, max(paid) AS paid
RETURN a.id AS id, 'Account' AS label, paid AS score,
       'paid ' + toString(round(paid)) + ' to ' + toString(n) + ' payees linked within ' + toString($window_days) +
       ' days (' + toString(payees) + ' new payees in all)' AS evidence
ORDER BY score DESC, id
