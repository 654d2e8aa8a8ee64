-- Corpus statistics over commit messages and session decision/observation texts
-- (patina.derived.terms; a batch materializer rebuilt by `patina materialize`).
CREATE TABLE IF NOT EXISTS term_stats (
    term TEXT PRIMARY KEY,
    doc_freq INTEGER NOT NULL,   -- documents containing the term
    term_freq INTEGER NOT NULL,  -- occurrences over the whole corpus
    idf REAL NOT NULL            -- ln(1 + (N - doc_freq + 0.5) / (doc_freq + 0.5)), 9 decimals
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_term_stats_df ON term_stats(doc_freq DESC, term);

-- The corpus the statistics were computed over: one row per kind of document, and 'all'.
CREATE TABLE IF NOT EXISTS term_corpus (
    kind TEXT PRIMARY KEY,       -- 'commit', 'session', 'all'
    documents INTEGER NOT NULL,
    tokens INTEGER NOT NULL
) WITHOUT ROWID;
