// name: new_counterparty_flows
// typology: general
// looks for: large payments to an account that was opened only days before, or that the payer had never
//   paid before, and payments out to outside parties (remittance partners, cash) far above the payer's usual.
// a hit means: money leaving for somewhere new: a drop account, a mule, a first-time beneficiary. New payees
//   are everyday life too (a new landlord, a car bought); the size against the payer's own history is the score.
// returns: id (the paying account), label, score (the largest payment to something new over the payer's median
//   payment), evidence
// param: new_days = 14            the receiving account was opened at most this many days before the payment
// param: min_amount = 1000.0      the least payment that counts
// param: min_ratio = 5.0          the payment is at least this many times the payer's median payment
MATCH (a:Account)-[:PERFORMS]->(t:Transaction)
WHERE t.amount >= $min_amount
OPTIONAL MATCH (t)-[:BENEFITS_TO]->(b:Account)
WITH a, t, b
WHERE b IS NULL OR b.opened_at >= t.at - duration({days: $new_days})
   OR NOT exists { MATCH (a)-[:PERFORMS]->(before:Transaction)-[:BENEFITS_TO]->(b) WHERE before.at < t.at }
MATCH (a)-[:PERFORMS]->(mine:Transaction)
WITH a, t, b, percentileCont(mine.amount, 0.5) AS usual
WHERE t.amount >= $min_ratio * usual
WITH a, max(t.amount / usual) AS score, count(t) AS payments, collect(coalesce(b.id, t.type))[0] AS example
RETURN a.id AS id, 'Account' AS label, score,
       toString(payments) + ' payments to new or outside parties (e.g. ' + example + '), the largest ' +
       toString(round(score)) + ' times the usual' AS evidence
ORDER BY score DESC, id
