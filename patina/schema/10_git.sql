-- One row per git.commit event.
CREATE VIEW IF NOT EXISTS commits AS
SELECT
    e.seq,
    e.source_id AS sha,
    e.timestamp,
    e.data ->> '$.author' AS author,
    e.data ->> '$.email' AS email,
    e.data ->> '$.committer' AS committer,
    e.data ->> '$.committer_email' AS committer_email,
    e.data ->> '$.committer_time' AS committer_time,
    e.data ->> '$.message' AS message,
    CASE WHEN instr(e.data ->> '$.message', char(10)) > 0
         THEN substr(e.data ->> '$.message', 1, instr(e.data ->> '$.message', char(10)) - 1)
         ELSE e.data ->> '$.message' END AS subject,
    e.data ->> '$.is_merge' AS is_merge,
    e.data ->> '$.first_parent' AS on_first_parent,
    json_array_length(e.data, '$.files') AS files_changed,
    (SELECT coalesce(sum(f.value ->> '$.lines_added'), 0) FROM json_each(e.data, '$.files') f) AS lines_added,
    (SELECT coalesce(sum(f.value ->> '$.lines_removed'), 0) FROM json_each(e.data, '$.files') f) AS lines_removed
FROM eventlog e
WHERE e.event_type = 'git.commit';

-- One row per file a commit changed (its diff against the first parent).
CREATE VIEW IF NOT EXISTS commit_files AS
SELECT
    e.seq,
    e.source_id AS sha,
    e.timestamp,
    f.value ->> '$.path' AS path,
    f.value ->> '$.old_path' AS old_path,
    f.value ->> '$.status' AS status,
    f.value ->> '$.lines_added' AS lines_added,
    f.value ->> '$.lines_removed' AS lines_removed,
    f.value ->> '$.binary' AS binary
FROM eventlog e, json_each(e.data, '$.files') f
WHERE e.event_type = 'git.commit';
