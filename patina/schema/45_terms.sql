-- Corpus statistics over commit messages and current session observations (patina.derived.terms),
-- kept incrementally: counts only; the IDF is computed by the term_stats view.
CREATE TABLE IF NOT EXISTS term_counts (
    term TEXT PRIMARY KEY,
    doc_freq INTEGER NOT NULL,   -- documents containing the term
    term_freq INTEGER NOT NULL   -- occurrences over the whole corpus
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_term_counts_df ON term_counts(doc_freq DESC, term);

-- The corpus: one row per kind of document ('commit', 'session') and 'all'.
CREATE TABLE IF NOT EXISTS term_corpus (
    kind TEXT PRIMARY KEY,
    documents INTEGER NOT NULL,
    tokens INTEGER NOT NULL
) WITHOUT ROWID;

-- The documents counted: commits, and session items until a revision drops them.
CREATE TABLE IF NOT EXISTS term_items (
    seq INTEGER PRIMARY KEY,     -- the event that is the document
    kind TEXT NOT NULL,          -- 'commit' or 'session'
    session_id TEXT,
    source_file TEXT,
    item_key TEXT,
    removed_seq INTEGER          -- the session.revised that dropped it
);
CREATE INDEX IF NOT EXISTS idx_term_items_item ON term_items(session_id, item_key);

-- term, doc_freq, term_freq, and BM25's IDF: ln(1 + (N - doc_freq + 0.5) / (doc_freq + 0.5)).
CREATE VIEW IF NOT EXISTS term_stats AS
SELECT t.term, t.doc_freq, t.term_freq,
       round(ln(1.0 + (c.documents - t.doc_freq + 0.5) / (t.doc_freq + 0.5)), 9) AS idf
FROM term_counts t, term_corpus c
WHERE c.kind = 'all';
