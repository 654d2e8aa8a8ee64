-- Session notes (patina.sources.sessions): the current state of every committed session file.
-- A session is identified by (session_id, source_file): the same ID in two files is two sessions.
-- `session.revised` events name the items (by data.key) that a later version of the file dropped;
-- with data.session_removed the whole session left that file (deleted, renamed, or its ID changed).

-- Lookups go through idx_eventlog_source (source_id = the session ID): no index of our own.

-- One row per current session: its latest session.started, unless a later revision removed it.
CREATE VIEW IF NOT EXISTS sessions AS
SELECT
    e.seq,
    e.source_id AS session_id,
    e.data ->> '$.title' AS title,
    e.timestamp AS started,
    e.data ->> '$.branch' AS branch,
    e.data ->> '$.llm' AS llm,
    e.data ->> '$.tag' AS tag,
    e.data ->> '$.starting_commit' AS starting_commit,
    e.data ->> '$.classification' AS classification,
    e.data ->> '$.files_changed' AS files_changed,
    e.data ->> '$.commits_made' AS commits_made,
    e.source_file,
    json_array_length(e.data, '$.goals') AS goal_count,
    e.data ->> '$.offset' AS utc_offset,
    e.data ->> '$.time_basis' AS time_basis
FROM eventlog e
WHERE e.event_type = 'session.started'
  AND e.seq = (SELECT max(s.seq) FROM eventlog s
               WHERE s.source_id = e.source_id AND s.event_type = 'session.started'
                 AND s.source_file IS e.source_file)
  AND NOT EXISTS (SELECT 1 FROM eventlog r
                  WHERE r.source_id = e.source_id AND r.event_type = 'session.revised'
                    AND r.source_file IS e.source_file AND r.seq > e.seq
                    AND r.data ->> '$.session_removed');

-- Decisions, patterns, work, context and observations still present in their file.
CREATE VIEW IF NOT EXISTS observations AS
SELECT
    e.seq,
    e.source_id AS session_id,
    e.data ->> '$.type' AS type,
    e.data ->> '$.content' AS content,
    e.data ->> '$.section' AS section,
    e.data ->> '$.detail' AS detail,
    e.data ->> '$.activity' AS activity,
    e.data ->> '$.commit' AS commit_sha,
    e.timestamp,
    e.source_file,
    e.data ->> '$.key' AS item_key
FROM eventlog e
WHERE e.event_type IN ('session.decision', 'session.pattern', 'session.work', 'session.context',
                       'session.observation')
  AND NOT EXISTS (SELECT 1 FROM eventlog r, json_each(r.data, '$.removed') x
                  WHERE r.source_id = e.source_id AND r.event_type = 'session.revised'
                    AND r.source_file IS e.source_file AND r.seq > e.seq
                    AND x.value ->> '$.key' = e.data ->> '$.key');

-- Goals still present in their file, with their latest checkbox state.
CREATE VIEW IF NOT EXISTS goals AS
SELECT
    e.seq,
    e.source_id AS session_id,
    e.data ->> '$.content' AS content,
    e.data ->> '$.completed' AS completed,
    e.timestamp,
    e.source_file,
    e.data ->> '$.key' AS item_key
FROM eventlog e
WHERE e.event_type = 'session.goal'
  AND NOT EXISTS (SELECT 1 FROM eventlog r, json_each(r.data, '$.removed') x
                  WHERE r.source_id = e.source_id AND r.event_type = 'session.revised'
                    AND r.source_file IS e.source_file AND r.seq > e.seq
                    AND x.value ->> '$.key' = e.data ->> '$.key');
