-- Decisions and what followed them, one row per decision: `commits` and `following`, the
-- commits made within `days` after it (decided_at < committed_at <= decided_at + days), in
-- time order; and `named`, the commits whose sha starts with the one the decision names
-- (`named_ref`, at least 4 hex digits, any case), whenever they were made. A commit can be in
-- both. `following` and `named` are JSON arrays of {sha, timestamp, subject}; `named` is null
-- when the decision names no commit and [] when no commit has that sha.
--
-- Bounds are computed in the log's 'YYYY-MM-DDTHH:MM:SSZ' form.
--
-- @needs session. the log has no session notes (Markdown files under layer/sessions/, see `patina init`)
-- @param days int 14 Days after each decision to look at.
-- @param session text null Only the decisions of this session id.
-- @json named following
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
c AS MATERIALIZED (
    -- Each commit any window can reach, as its JSON object: its message parsed once, however
    -- many decisions it follows (each follows ~10 on a busy log).
    SELECT seq, json_object(
               'sha', source_id, 'timestamp', timestamp,
               'subject', substr(data ->> '$.message', 1, instr((data ->> '$.message') || char(10), char(10)) - 1)
           ) AS obj
    FROM eventlog
    WHERE event_type = 'git.commit'
      AND timestamp > (SELECT min(timestamp) FROM d)
      AND timestamp <= (SELECT max(until) FROM d)
)
-- Decisions in (timestamp, seq) order straight from the (event_type, timestamp) index, so there
-- is no sort and `--limit` stops early; d (the observations view: only items still in their file)
-- says which are decisions. The view's type is the event type's suffix ('session.decision').
SELECT
    d.seq AS decision_seq,
    d.session_id,
    d.timestamp AS decided_at,
    d.content AS decision,
    (SELECT count(*) FROM eventlog AS e
      WHERE e.event_type = 'git.commit' AND e.timestamp > d.timestamp AND e.timestamp <= d.until) AS commits,
    d.ref AS named_ref,
    CASE WHEN d.ref IS NOT NULL THEN (
        -- An index range over source_id ('+' keeps the planner off the event-type index).
        SELECT '[' || coalesce(group_concat(json_object(
                   'sha', e.source_id, 'timestamp', e.timestamp,
                   'subject', substr(e.data ->> '$.message', 1,
                                     instr((e.data ->> '$.message') || char(10), char(10)) - 1)), ','), '') || ']'
        FROM (SELECT * FROM eventlog
              WHERE source_id >= d.ref AND source_id < d.ref || 'g' AND +event_type = 'git.commit'
              ORDER BY timestamp, seq) AS e
    ) END AS named,
    -- The window in (timestamp, seq) order from the same index; the objects are valid JSON,
    -- so joining them with commas is a JSON array (no re-parse).
    (SELECT '[' || coalesce(group_concat(obj, ','), '') || ']'
       FROM (SELECT c.obj FROM eventlog AS e
             CROSS JOIN c ON c.seq = e.seq
             WHERE e.event_type = 'git.commit' AND e.timestamp > d.timestamp AND e.timestamp <= d.until
             ORDER BY e.timestamp, e.seq)) AS following
FROM eventlog AS o
CROSS JOIN d ON d.seq = o.seq
WHERE o.event_type = 'session.decision'
ORDER BY o.timestamp, o.seq
