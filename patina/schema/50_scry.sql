-- `patina scry`: the searchable knowledge (see patina.scry.index.SearchIndex).
-- One row per event that carries knowledge, keyed by the event's seq. Rows are a pure
-- function of the log: removed items are kept, marked with the seq of the event that
-- removed them, so `scry --until` can still see what was known before the removal.
-- A commit's text is not copied: its row holds where subject and body are in the commit's
-- message (the log has it), and the view scry_docs reads them from there.
CREATE TABLE IF NOT EXISTS scry_items (
    seq INTEGER PRIMARY KEY,        -- the event that recorded it
    type TEXT NOT NULL,             -- decision|pattern|work|context|observation|goal|commit|note
    origin TEXT NOT NULL,           -- session id, commit sha, or persona note id
    timestamp TEXT NOT NULL,        -- the event's timestamp (UTC)
    source_file TEXT,               -- the session file, when there is one
    content TEXT,                   -- the text shown and searched; NULL: in the message (below)
    detail TEXT,                    -- the item's elaboration; NULL: in the message (below)
    context TEXT NOT NULL,          -- section, activity heading, tags: searched with a lower weight
    item_key TEXT,                  -- a session item's key (data.key), what revisions name
    removed_seq INTEGER,            -- seq of the event that removed it; NULL while current
    content_at INTEGER,             -- with content NULL: substr(message, content_at, content_len)
    content_len INTEGER,
    detail_at INTEGER,              -- with detail NULL: substr(message, detail_at, detail_len)
    detail_len INTEGER
);
CREATE INDEX IF NOT EXISTS idx_scry_items_origin ON scry_items(origin, item_key);
CREATE INDEX IF NOT EXISTS idx_scry_items_removed ON scry_items(removed_seq) WHERE removed_seq IS NOT NULL;

-- The documents as they are searched and shown (what FTS5 reads as its content table).
CREATE VIEW IF NOT EXISTS scry_docs AS
SELECT i.seq, i.type, i.origin, i.timestamp, i.source_file,
       coalesce(i.content, substr(e.data ->> '$.message', i.content_at, i.content_len)) AS content,
       coalesce(i.detail, substr(e.data ->> '$.message', i.detail_at, i.detail_len)) AS detail,
       i.context, i.item_key, i.removed_seq
FROM scry_items i LEFT JOIN eventlog e ON e.seq = i.seq AND i.content_at IS NOT NULL;

-- BM25 full-text index over scry_docs (external content: the text is stored once, above).
-- Its tokenizer is also patina.scry.index.TOKENIZE (the postings below tokenize the same way).
CREATE VIRTUAL TABLE IF NOT EXISTS scry_fts USING fts5(
    content, detail, context,
    content = 'scry_docs', content_rowid = 'seq',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

-- The index's logical content (term, doc, column, offset): what `verify` and the tests
-- compare, since the FTS5 b-tree pages depend on how the rows were batched.
CREATE VIRTUAL TABLE IF NOT EXISTS scry_vocab USING fts5vocab(scry_fts, 'instance');

-- How many documents hold each indexed word: FTS5's own statistics (scry_terms, slow to
-- look up one word at a time) and the same counts kept as a plain table (scry_words).
CREATE VIRTUAL TABLE IF NOT EXISTS scry_terms USING fts5vocab(scry_fts, 'row');
CREATE TABLE IF NOT EXISTS scry_words (
    term TEXT PRIMARY KEY,      -- the word as the index stores it (lower-cased, stemmed)
    docs INTEGER NOT NULL       -- documents holding it (always > 0)
) WITHOUT ROWID;

-- Postings of the common words only (those in at least patina.scry.index.HOT_DF documents):
-- for each document holding the word, twice its weighted frequency there (the column weights
-- summed per occurrence, as bm25() sums them: doubled, a float stays exact and is a whole number,
-- stored in 1-2 bytes instead of 8, whenever only the 1.0 and 0.5 columns hold the word) and the
-- document's length in tokens (bm25's D).
-- One-word queries on such a word rank from here: within one frequency, a shorter document
-- always scores higher, so the best few of each frequency are the only candidates.
CREATE TABLE IF NOT EXISTS scry_postings (
    term TEXT NOT NULL,         -- the word as the index stores it (lower-cased, stemmed)
    freq2 REAL NOT NULL,        -- twice the weighted frequency in the document
    length INTEGER NOT NULL,    -- the document's tokens, all columns
    seq INTEGER NOT NULL,       -- the document (scry_docs.seq)
    PRIMARY KEY (term, freq2, length, seq)
) WITHOUT ROWID;
