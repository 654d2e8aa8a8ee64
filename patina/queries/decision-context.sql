-- Each decision with the commits made in the days before it: what was going on when it was taken.
-- One row per (decision, commit); a decision with no commit in its window has one row without one.
-- The window is [decided_at - days, decided_at], both ends inclusive, and the bound is computed
-- with strftime into the log's own 'YYYY-MM-DDTHH:MM:SSZ' form, so text comparison is exact
-- (datetime() gives 'YYYY-MM-DD HH:MM:SS', which sorts wrong against it on the same day).
--
-- @needs session. the log has no session notes (Markdown files under layer/sessions/, see `patina init`)
-- @param days int 7 Days to look back from each decision.
-- @param session text null Only the decisions of this session id.
--
-- Decisions come in (timestamp, seq) order from the (event_type, timestamp) index and each
-- window in (timestamp, seq) order from the same index: no sort, so `--limit` stops early.
-- The observations view (only items still in their file) says which events are decisions; its
-- type is the event type's suffix, its session_id the source_id and its content data's.
SELECT
    o.seq AS decision_seq,
    o.source_id AS session_id,
    o.timestamp AS decided_at,
    o.data ->> '$.content' AS decision,
    e.source_id AS sha,
    e.timestamp AS committed_at,
    e.data ->> '$.author' AS author,
    rtrim(e.data ->> '$.message', char(10)) AS message
FROM eventlog AS o
LEFT JOIN eventlog AS e
    ON e.event_type = 'git.commit'
   AND e.timestamp >= strftime('%Y-%m-%dT%H:%M:%SZ', o.timestamp, '-' || :days || ' days')
   AND e.timestamp <= o.timestamp
WHERE o.event_type = 'session.decision'
  AND o.seq IN (SELECT seq FROM observations
                WHERE type = 'decision' AND (:session IS NULL OR session_id = :session))
ORDER BY o.timestamp, o.seq, e.timestamp, e.seq
