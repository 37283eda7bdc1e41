// name: link_burst
// typology: link_burst
// looks for: an account that linked many external accounts within a day, then sent money over those new links
//   (or pulled money in from them and pushed it back out) within days.
// a hit means: the link-and-drain (or link-and-kite) sequence. A customer moving banks links as many accounts,
//   but over a week, and sends ordinary amounts; the tightness of the links and the money after them tell them apart.
// returns: id (the account), label, score (links within the window times the money sent over them), evidence
// param: burst_hours = 24         the links counted together are at most this many hours after the first
// param: min_links = 5            the fewest links within that window
// param: drain_days = 7           money to the linked accounts counted this many days after the first link
MATCH (a:Account)-[first:LINKED]->(:Account)
MATCH (a)-[l:LINKED]->(:Account)
WHERE l.at >= first.at AND l.at <= first.at + duration({hours: $burst_hours})
WITH a, first, count(l) AS links
WHERE links >= $min_links
WITH a, min(first.at) AS burst, max(links) AS links
MATCH (a)-[:LINKED]->(b:Account)
MATCH (a)-[:PERFORMS]->(t:Transaction)-[:BENEFITS_TO]->(b)
WHERE t.at >= burst AND t.at <= burst + duration({days: $drain_days})
WITH a, links, sum(t.amount) AS moved, count(DISTINCT b) AS used
RETURN a.id AS id, 'Account' AS label, links * moved AS score,
       toString(links) + ' accounts linked within ' + toString($burst_hours) + ' hours, then ' + toString(round(moved)) +
       ' sent to ' + toString(used) + ' of them' AS evidence
ORDER BY score DESC, id
