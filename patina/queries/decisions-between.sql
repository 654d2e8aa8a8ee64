-- The decisions taken in a date range, oldest first. Bare dates are whole UTC days:
-- `since` from 00:00:00, `until` through 23:59:59.
--
-- @needs session. the log has no session notes (Markdown files under layer/sessions/, see `patina init`)
-- @param since time null Earliest decision time (inclusive; default: no lower bound).
-- @param until time_end null Latest decision time (inclusive; default: no upper bound).
SELECT
    seq,
    session_id,
    timestamp AS decided_at,
    content AS decision,
    commit_sha,
    source_file
FROM observations
WHERE type = 'decision'
  AND (:since IS NULL OR timestamp >= :since)
  AND (:until IS NULL OR timestamp <= :until)
ORDER BY timestamp, seq
