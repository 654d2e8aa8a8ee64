-- Decisions and what followed them: the commits made within `days` after each decision
-- (link 'window': decided_at < committed_at <= decided_at + days), and the commit a decision
-- names by its (short) sha, whenever it was made (link 'named'). A commit that is both is
-- listed once, as 'named'. Bounds are computed in the log's 'YYYY-MM-DDTHH:MM:SSZ' form.
--
-- @param days int 14 Days after each decision to look at.
-- @param session text null Only the decisions of this session id.
WITH d AS (
    SELECT seq, session_id, timestamp, content, lower(trim(commit_sha)) AS ref
    FROM observations
    WHERE type = 'decision'
      AND (:session IS NULL OR session_id = :session)
),
named AS (
    SELECT d.seq AS dseq, c.seq AS cseq
    FROM d
    JOIN commits AS c
        ON c.sha >= d.ref AND c.sha < d.ref || 'g'  -- prefix match as an index range
    WHERE length(d.ref) >= 4 AND d.ref NOT GLOB '*[^0-9a-f]*'
),
windowed AS (
    SELECT d.seq AS dseq, c.seq AS cseq
    FROM d
    JOIN commits AS c
        ON c.timestamp > d.timestamp
       AND c.timestamp <= strftime('%Y-%m-%dT%H:%M:%SZ', d.timestamp, '+' || :days || ' days')
),
links AS (
    SELECT dseq, cseq, 'named' AS link FROM named
    UNION ALL
    SELECT w.dseq, w.cseq, 'window' FROM windowed AS w
    WHERE NOT EXISTS (SELECT 1 FROM named AS n WHERE n.dseq = w.dseq AND n.cseq = w.cseq)
)
SELECT
    d.seq AS decision_seq,
    d.session_id,
    d.timestamp AS decided_at,
    d.content AS decision,
    l.link,
    c.sha,
    c.timestamp AS committed_at,
    round(julianday(c.timestamp) - julianday(d.timestamp), 3) AS days_after,
    c.subject
FROM links AS l
JOIN d ON d.seq = l.dseq
JOIN commits AS c ON c.seq = l.cseq
ORDER BY d.timestamp, d.seq, c.timestamp, c.seq
