-- `patina oxidize` (patina.oxidize): embeddings of knowledge events and projections trained on them.
-- Local derived state, like every table here, but made by a model: two machines may differ in the
-- last bits of a vector, so `verify` compares vectors within a tolerance (patina.oxidize.vectors).
-- Bookkeeping (recipe hash, model identity, held-out figures) lives in oxidize_meta (00_core.sql).

-- One row per embedded event, keyed by its seq: the vector as little-endian float32 values, unit
-- length. Appended in seq order, truncated by seq with the log.
CREATE TABLE IF NOT EXISTS oxidize_vectors (
    seq INTEGER PRIMARY KEY,
    vec BLOB NOT NULL
);

-- Trained projections: a d x d float32 matrix (row-major, little-endian) mapping a query vector,
-- and what it was trained on and how it did on the newest events held out (JSON).
CREATE TABLE IF NOT EXISTS oxidize_projections (
    name TEXT PRIMARY KEY,      -- semantic | temporal | dependency
    matrix BLOB NOT NULL,
    info TEXT NOT NULL          -- canonical JSON: recipe hash, trained_through, pairs, base/projected recall@10 and MRR, used
);
