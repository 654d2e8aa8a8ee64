-- The event log: one row per event, seq in history order (see README, "Order").
CREATE TABLE IF NOT EXISTS eventlog (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_type TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    source_id TEXT NOT NULL,
    source_file TEXT,
    data JSON NOT NULL CHECK (json_valid(data))
);
CREATE INDEX IF NOT EXISTS idx_eventlog_type ON eventlog(event_type);
CREATE INDEX IF NOT EXISTS idx_eventlog_timestamp ON eventlog(timestamp);
CREATE INDEX IF NOT EXISTS idx_eventlog_type_timestamp ON eventlog(event_type, timestamp);
CREATE INDEX IF NOT EXISTS idx_eventlog_source ON eventlog(source_id);

-- Bookkeeping: what the log was built for, and each materializer's progress.
CREATE TABLE IF NOT EXISTS scrape_meta (
    key TEXT PRIMARY KEY,
    value TEXT,
    last_seq INTEGER,
    last_timestamp TEXT
);

-- HEAD's first-parent chain as built, root first, with the last seq each commit's step wrote.
CREATE TABLE IF NOT EXISTS fp_chain (
    pos INTEGER PRIMARY KEY,
    sha TEXT NOT NULL UNIQUE,
    last_seq INTEGER NOT NULL
);

-- Commits whose objects were missing (partial or damaged clones): built with what was there.
CREATE TABLE IF NOT EXISTS incomplete_commits (
    sha TEXT PRIMARY KEY,
    reason TEXT NOT NULL
);

-- `patina oxidize` bookkeeping (patina.oxidize.state): recipe hash, model identity, vector generation.
CREATE TABLE IF NOT EXISTS oxidize_meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
