-- Each decision with the commits made in the days before it: what was going on when it was taken.
-- One row per (decision, commit); a decision with no commit in its window has one row without one.
-- The window is [decided_at - days, decided_at], both ends inclusive, and the bound is computed
-- with strftime into the log's own 'YYYY-MM-DDTHH:MM:SSZ' form, so text comparison is exact
-- (datetime() gives 'YYYY-MM-DD HH:MM:SS', which sorts wrong against it on the same day).
--
-- @param days int 7 Days to look back from each decision.
-- @param session text null Only the decisions of this session id.
SELECT
    d.seq AS decision_seq,
    d.session_id,
    d.timestamp AS decided_at,
    d.content AS decision,
    c.sha,
    c.timestamp AS committed_at,
    c.author,
    rtrim(c.message, char(10)) AS message
FROM observations AS d
LEFT JOIN commits AS c
    ON c.timestamp >= strftime('%Y-%m-%dT%H:%M:%SZ', d.timestamp, '-' || :days || ' days')
   AND c.timestamp <= d.timestamp
WHERE d.type = 'decision'
  AND (:session IS NULL OR d.session_id = :session)
ORDER BY d.timestamp, d.seq, c.timestamp, c.seq
