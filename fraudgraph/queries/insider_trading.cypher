// name: insider_trading
// typology: insider_trading
// looks for: a message from an employee of a listed company to a friend or relative, then a buy of the
//   company's shares by the friend, then an announcement of the company, all within days.
// a hit means: a trade ahead of news after talking to an insider. Friends who invest in the insider's company
//   on a steady schedule and outsiders who buy before news by luck each share one half of it.
// returns: id (the trader, and the insider), label, score (1 / days from the message to the news), evidence
// param: window_days = 14         most days from the message to the announcement
MATCH (insider:Person)-[:WORKS_AT]->(co:Company {is_listed: true})-[:ANNOUNCED]->(news:Announcement)
MATCH (insider)-[m:MESSAGED]->(tippee:Person)-[:OWNS]->(acc:Account)-[tr:TRADED {side: 'buy'}]->(co)
WHERE m.at < tr.at AND tr.at < news.at AND news.at <= m.at + duration({days: $window_days})
  AND tippee <> insider
WITH insider, tippee, co, news, min(duration.inSeconds(m.at, news.at).seconds) AS lead
UNWIND [[tippee, 'trader'], [insider, 'insider']] AS who
WITH who[0] AS x, who[1] AS part, co, news, lead
WITH x, max(86400.0 / lead) AS score, collect(DISTINCT part)[0] AS part, collect(DISTINCT co.ticker)[0] AS ticker
RETURN x.id AS id, 'Person' AS label, score,
       part + ': message, then a buy of ' + ticker + ', then its announcement within ' +
       toString(round(10 / score) / 10) + ' days' AS evidence
ORDER BY score DESC, id
