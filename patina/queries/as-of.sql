-- The log as it stood at a moment: the events up to the newest first-parent commit committed
-- at or before `at` -- what `patina scrape --until AT` builds (as long as the team config and
-- .mailmap are unchanged since). A bare date means the end of that day, UTC.
--
-- @param at time_end required The moment (e.g. 2025-11-21 or 2025-11-21T10:00:00Z).
-- @param type text null Only event types matching this GLOB pattern (e.g. 'git.*').
SELECT
    e.seq,
    e.event_type,
    e.timestamp,
    e.source_id,
    e.source_file,
    e.data
FROM eventlog AS e
WHERE e.seq <= (
        SELECT coalesce(max(f.last_seq), 0)
        FROM fp_chain AS f
        JOIN commits AS c ON c.sha = f.sha
        WHERE c.committer_time <= :at
    )
  AND (:type IS NULL OR e.event_type GLOB :type)
ORDER BY e.seq
