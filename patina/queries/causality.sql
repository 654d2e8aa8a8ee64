-- Decisions and what followed them: the commits made within `days` after each decision
-- (link 'window': decided_at < committed_at <= decided_at + days), and the commit a decision
-- names by its (short) sha, whenever it was made (link 'named'). A commit that is both is
-- listed once, as 'named'. Bounds are computed in the log's 'YYYY-MM-DDTHH:MM:SSZ' form.
--
-- @param days int 14 Days after each decision to look at.
-- @param session text null Only the decisions of this session id.
WITH d AS MATERIALIZED (
    SELECT
        seq, session_id, timestamp, content,
        strftime('%Y-%m-%dT%H:%M:%SZ', timestamp, '+' || :days || ' days') AS until,
        CASE WHEN length(trim(commit_sha)) >= 4 AND lower(trim(commit_sha)) NOT GLOB '*[^0-9a-f]*'
             THEN lower(trim(commit_sha)) END AS ref  -- a usable sha prefix, or NULL
    FROM observations
    WHERE type = 'decision'
      AND (:session IS NULL OR session_id = :session)
),
windowed AS (
    -- From the (event_type, timestamp) index; the sha is read only for decisions naming one.
    SELECT d.seq AS dseq, e.seq AS cseq,
           CASE WHEN d.ref IS NOT NULL AND e.source_id >= d.ref AND e.source_id < d.ref || 'g'
                THEN 'named' ELSE 'window' END AS link
    FROM d
    CROSS JOIN eventlog AS e
        ON e.event_type = 'git.commit'
       AND e.timestamp > d.timestamp
       AND e.timestamp <= d.until
),
named_elsewhere AS (
    -- Named commits outside the window. The prefix is an index range over source_id
    -- ('+' keeps the planner off the event-type index).
    SELECT d.seq AS dseq, e.seq AS cseq, 'named' AS link
    FROM d
    CROSS JOIN eventlog AS e
        ON e.source_id >= d.ref AND e.source_id < d.ref || 'g'
       AND +e.event_type = 'git.commit'
    WHERE d.ref IS NOT NULL
      AND NOT (e.timestamp > d.timestamp AND e.timestamp <= d.until)
),
links AS MATERIALIZED (
    SELECT dseq, cseq, link FROM windowed
    UNION ALL
    SELECT dseq, cseq, link FROM named_elsewhere
),
c AS MATERIALIZED (
    -- Each linked commit's subject, its JSON parsed once however many decisions it follows.
    SELECT seq, source_id AS sha, timestamp,
           substr(data ->> '$.message', 1, instr((data ->> '$.message') || char(10), char(10)) - 1) AS subject
    FROM eventlog
    WHERE seq IN (SELECT cseq FROM links)
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
FROM c
CROSS JOIN links AS l ON l.cseq = c.seq  -- commits outer: links gets an automatic index on cseq
JOIN d ON d.seq = l.dseq
ORDER BY d.timestamp, d.seq, c.timestamp, c.seq
