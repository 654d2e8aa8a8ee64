-- Code facts (patina.sources.code). Every fact is an event; the current state of a fact is the
-- last event for its key -- (source_id, fact event type) -- unless that is a code.removed
-- (whose data.kind names the fact type). The rule is stated once, in code_current; the views
-- below pick their columns from it. The NOT EXISTS probe uses idx_eventlog_source.

CREATE VIEW IF NOT EXISTS code_current AS
SELECT e.seq, e.timestamp, e.event_type, e.source_id, e.source_file, e.data
FROM eventlog e
WHERE e.event_type GLOB 'code.*' AND e.event_type != 'code.removed'
  AND NOT EXISTS (SELECT 1 FROM eventlog l WHERE l.source_id = e.source_id AND l.seq > e.seq
                  AND (l.event_type = e.event_type
                       OR (l.event_type = 'code.removed' AND l.data ->> '$.kind' = substr(e.event_type, 6))));

-- Where each current fact is in the files of the commit the log is built for (HEAD-only:
-- positions are place, not meaning, so no event carries them; patina.sources.code.positions).
CREATE TABLE IF NOT EXISTS code_positions (
    source_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    file TEXT NOT NULL,
    line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    PRIMARY KEY (source_id, event_type)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS code_positions_dirty (path TEXT PRIMARY KEY) WITHOUT ROWID;

CREATE VIEW IF NOT EXISTS code_functions AS
SELECT e.seq, e.timestamp, e.source_id, e.source_file AS file,
       e.data ->> '$.name' AS name, e.data ->> '$.qualified_name' AS qualified_name,
       e.data ->> '$.kind' AS kind, p.line, p.end_line,
       e.data -> '$.parameters' AS parameters, e.data ->> '$.return_type' AS return_type,
       e.data ->> '$.visibility' AS visibility, e.data ->> '$.is_public' AS is_public,
       e.data ->> '$.is_async' AS is_async, e.data ->> '$.is_unsafe' AS is_unsafe,
       e.data ->> '$.takes_mut_self' AS takes_mut_self, e.data ->> '$.returns_result' AS returns_result,
       e.data ->> '$.signature_hash' AS signature_hash, e.data ->> '$.body_hash' AS body_hash
FROM code_current e LEFT JOIN code_positions p ON p.source_id = e.source_id AND p.event_type = e.event_type
WHERE e.event_type = 'code.function';

CREATE VIEW IF NOT EXISTS code_types AS
SELECT e.seq, e.timestamp, e.source_id, e.source_file AS file, substr(e.event_type, 6) AS category,
       e.data ->> '$.name' AS name, e.data ->> '$.qualified_name' AS qualified_name,
       e.data ->> '$.kind' AS kind, e.data ->> '$.visibility' AS visibility,
       e.data ->> '$.definition' AS definition, p.line, p.end_line, e.data ->> '$.body_hash' AS body_hash
FROM code_current e LEFT JOIN code_positions p ON p.source_id = e.source_id AND p.event_type = e.event_type
WHERE e.event_type IN ('code.struct', 'code.enum', 'code.trait', 'code.class', 'code.interface', 'code.type');

CREATE VIEW IF NOT EXISTS code_members AS
SELECT e.seq, e.timestamp, e.source_id, e.source_file AS file,
       e.data ->> '$.parent' AS parent, e.data ->> '$.name' AS name,
       e.data ->> '$.qualified_name' AS qualified_name, e.data ->> '$.kind' AS kind,
       e.data ->> '$.visibility' AS visibility, e.data ->> '$.type' AS type, p.line
FROM code_current e LEFT JOIN code_positions p ON p.source_id = e.source_id AND p.event_type = e.event_type
WHERE e.event_type = 'code.member';

CREATE VIEW IF NOT EXISTS code_constants AS
SELECT e.seq, e.timestamp, e.source_id, e.source_file AS file,
       e.data ->> '$.name' AS name, e.data ->> '$.qualified_name' AS qualified_name,
       e.data ->> '$.kind' AS kind, e.data ->> '$.type' AS type, p.line
FROM code_current e LEFT JOIN code_positions p ON p.source_id = e.source_id AND p.event_type = e.event_type
WHERE e.event_type = 'code.constant';

CREATE VIEW IF NOT EXISTS code_imports AS
SELECT e.seq, e.timestamp, e.source_id, e.source_file AS file,
       e.data ->> '$.import_path' AS import_path, e.data -> '$.imported_names' AS imported_names,
       e.data ->> '$.import_kind' AS import_kind, p.line
FROM code_current e LEFT JOIN code_positions p ON p.source_id = e.source_id AND p.event_type = e.event_type
WHERE e.event_type = 'code.import';

CREATE VIEW IF NOT EXISTS code_calls AS
SELECT e.seq, e.timestamp, e.source_id, e.source_file AS file,
       e.data ->> '$.caller' AS caller, e.data ->> '$.callee' AS callee,
       p.line, e.data ->> '$.count' AS count
FROM code_current e LEFT JOIN code_positions p ON p.source_id = e.source_id AND p.event_type = e.event_type
WHERE e.event_type = 'code.call';

-- One row per source file the code source has seen (error_nodes: syntax errors tree-sitter
-- recovered from; skipped: null, 'binary', 'too_large' or 'error').
CREATE VIEW IF NOT EXISTS code_files AS
SELECT e.seq, e.timestamp, e.source_file AS file, e.data ->> '$.language' AS language,
       e.data ->> '$.error_nodes' AS error_nodes, e.data ->> '$.skipped' AS skipped
FROM code_current e
WHERE e.event_type = 'code.file';

-- Every current definition, one shape: what symbol search returns.
CREATE VIEW IF NOT EXISTS code_symbols AS
SELECT source_id, file, name, qualified_name, 'function' AS category, kind, line, seq FROM code_functions
UNION ALL
SELECT source_id, file, name, qualified_name, category, kind, line, seq FROM code_types
UNION ALL
SELECT source_id, file, name, qualified_name, 'member' AS category, kind, line, seq FROM code_members
UNION ALL
SELECT source_id, file, name, qualified_name, 'constant' AS category, kind, line, seq FROM code_constants;

-- Full-text index over code_symbols, kept current by seq (patina.sources.code.symbols).
-- `words` splits names into lower-case words (openFile, open_file -> "open file") so that a
-- search for a word finds camelCase and snake_case names alike.
CREATE VIRTUAL TABLE IF NOT EXISTS code_symbols_fts USING fts5(
    name, qualified_name, words, file,
    source_id UNINDEXED, category UNINDEXED, kind UNINDEXED,
    prefix = '2 3'
);
-- (source_id, category) -> rowid in code_symbols_fts: lets an event replace its fact's row.
CREATE TABLE IF NOT EXISTS code_symbols_keys (
    source_id TEXT NOT NULL,
    category TEXT NOT NULL,
    fts_rowid INTEGER NOT NULL,
    PRIMARY KEY (source_id, category)
) WITHOUT ROWID;
