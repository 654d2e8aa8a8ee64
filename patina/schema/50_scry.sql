-- `patina scry`: the searchable knowledge (see patina.scry.index.SearchIndex).
-- One row per event that carries knowledge, keyed by the event's seq. Rows are a pure
-- function of the log: removed items are kept, marked with the seq of the event that
-- removed them, so `scry --until` can still see what was known before the removal.
CREATE TABLE IF NOT EXISTS scry_docs (
    seq INTEGER PRIMARY KEY,        -- the event that recorded it
    type TEXT NOT NULL,             -- decision|pattern|work|context|observation|goal|commit|note
    origin TEXT NOT NULL,           -- session id, commit sha, or persona note id
    timestamp TEXT NOT NULL,        -- the event's timestamp (UTC)
    source_file TEXT,               -- the session file, when there is one
    content TEXT NOT NULL,          -- the text shown and searched
    detail TEXT NOT NULL,           -- the item's elaboration (rest of a commit message, ...)
    context TEXT NOT NULL,          -- section, activity heading, tags: searched with a lower weight
    item_key TEXT,                  -- a session item's key (data.key), what revisions name
    removed_seq INTEGER             -- seq of the event that removed it; NULL while current
);
CREATE INDEX IF NOT EXISTS idx_scry_docs_origin ON scry_docs(origin, item_key);
CREATE INDEX IF NOT EXISTS idx_scry_docs_removed ON scry_docs(removed_seq) WHERE removed_seq IS NOT NULL;

-- BM25 full-text index over scry_docs (external content: the text is stored once, above).
CREATE VIRTUAL TABLE IF NOT EXISTS scry_fts USING fts5(
    content, detail, context,
    content = 'scry_docs', content_rowid = 'seq',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- The index's logical content (term, doc, column, offset): what `verify` and the tests
-- compare, since the FTS5 b-tree pages depend on how the rows were batched.
CREATE VIRTUAL TABLE IF NOT EXISTS scry_vocab USING fts5vocab(scry_fts, 'instance');
