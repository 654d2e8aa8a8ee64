-- Each decision with the commits made in the days before it: what was going on when it was taken.
-- One row per (decision, commit); a decision with no commit in its window has one row without one.
-- The window is [decided_at - days, decided_at], both ends inclusive, and the bound is computed
-- with strftime into the log's own 'YYYY-MM-DDTHH:MM:SSZ' form, so text comparison is exact
-- (datetime() gives 'YYYY-MM-DD HH:MM:SS', which sorts wrong against it on the same day).
--
-- @param days int 7 Days to look back from each decision.
-- @param session text null Only the decisions of this session id.
WITH d AS MATERIALIZED (
    SELECT seq, session_id, timestamp, content
    FROM observations
    WHERE type = 'decision'
      AND (:session IS NULL OR session_id = :session)
),
pairs AS MATERIALIZED (
    -- Commit seqs from the covering (event_type, timestamp) index: no JSON is read here.
    SELECT d.seq AS decision_seq, d.session_id, d.timestamp AS decided_at, d.content AS decision,
           e.seq AS commit_seq
    FROM d
    LEFT JOIN eventlog AS e
        ON e.event_type = 'git.commit'
       AND e.timestamp >= strftime('%Y-%m-%dT%H:%M:%SZ', d.timestamp, '-' || :days || ' days')
       AND e.timestamp <= d.timestamp
)
SELECT
    p.decision_seq,
    p.session_id,
    p.decided_at,
    p.decision,
    c.source_id AS sha,
    c.timestamp AS committed_at,
    c.data ->> '$.author' AS author,
    rtrim(c.data ->> '$.message', char(10)) AS message
FROM pairs AS p
LEFT JOIN eventlog AS c ON c.seq = p.commit_seq
ORDER BY p.decided_at, p.decision_seq, c.timestamp, c.seq
