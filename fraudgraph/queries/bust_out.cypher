// name: bust_out
// typology: bust_out
// looks for: a credit card whose card payments within a few days add up to most of its credit limit.
// a hit means: a card maxed out in a burst. A holiday or a house move can do the same; a bust-out card then
//   goes dark, which the evidence shows as the payments after the burst.
// returns: id (the card account), label, score (burst as a share of the limit), evidence
// param: window_days = 7          length of the burst
// param: min_share = 0.8          least share of the credit limit spent in the window
MATCH (a:Account {account_type: 'credit_card'})-[:PERFORMS]->(t:Transaction {type: 'card_payment'})
WHERE a.credit_limit > 0
WITH a, t ORDER BY t.at
WITH a, collect(t) AS payments
UNWIND payments AS first
WITH a, payments, first,
     reduce(s = 0.0, x IN payments |
            s + CASE WHEN x.at >= first.at AND x.at < first.at + duration({days: $window_days}) THEN x.amount ELSE 0.0 END)
       AS burst
WITH a, payments, max(burst / a.credit_limit) AS share
WHERE share >= $min_share
RETURN a.id AS id, 'Account' AS label, share AS score,
       'card payments worth ' + toString(round(100 * share)) + '% of the limit within ' + toString($window_days) +
       ' days (' + toString(size(payments)) + ' card payments in all)' AS evidence
ORDER BY score DESC, id
