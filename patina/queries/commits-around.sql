-- The commits made within `days` days either side of a session's start, with their distance
-- from it in days (negative: before). Bounds are computed in the log's 'YYYY-MM-DDTHH:MM:SSZ'
-- form and are inclusive.
--
-- @param session text required The session id (see `SELECT session_id, title FROM sessions`).
-- @param days int 3 Days either side of the session's start.
WITH s AS (
    SELECT session_id, started
    FROM sessions
    WHERE session_id = :session
)
SELECT
    s.session_id,
    c.sha,
    c.timestamp AS committed_at,
    round(julianday(c.timestamp) - julianday(s.started), 3) AS days_from_start,
    c.author,
    c.subject
FROM s
JOIN commits AS c
    ON c.timestamp >= strftime('%Y-%m-%dT%H:%M:%SZ', s.started, '-' || :days || ' days')
   AND c.timestamp <= strftime('%Y-%m-%dT%H:%M:%SZ', s.started, '+' || :days || ' days')
ORDER BY c.timestamp, c.seq
