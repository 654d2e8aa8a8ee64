-- The commits where a function appeared, changed what it is (signature, parameters, return
-- type, visibility, modifiers, body) or disappeared, oldest first, with who and when. Moves are
-- not changes: no event records them. `name` is the qualified name as the language spells it
-- (Flask.wsgi_app, Table::insert_all); `changed` lists the fields that changed.
--
-- @param name text required The function's qualified name, e.g. Flask.wsgi_app.
-- @param file text null Only in this file.
-- @needs code. the log has no code facts (the code source is off, or no file of a known language)
--
-- Each code event belongs to the commit whose git.commit event is the last one before it (a
-- step's events follow its commit), found through the event-type index.
SELECT
    c.sha,
    c.timestamp AS committed_at,
    c.author,
    c.subject,
    e.source_file AS file,
    CASE WHEN e.event_type = 'code.removed' THEN 'removed'
         WHEN e.data -> '$.previous' IS NULL THEN 'added'
         ELSE 'changed' END AS change,
    (SELECT group_concat(p.key, ', ') FROM json_each(e.data, '$.previous') AS p) AS changed
FROM eventlog AS e
JOIN commits AS c
    ON c.seq = (SELECT max(x.seq) FROM eventlog AS x WHERE x.event_type = 'git.commit' AND x.seq < e.seq)
WHERE e.event_type IN ('code.function', 'code.removed')
  AND CASE WHEN e.event_type = 'code.removed'
           THEN e.data ->> '$.kind' = 'function' AND e.data ->> '$.name' = :name
           ELSE e.data ->> '$.qualified_name' = :name END
  AND (:file IS NULL OR e.source_file = :file)
ORDER BY e.seq
