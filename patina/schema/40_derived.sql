-- File history (patina.derived.files): every non-merge commit's changed paths, under the name
-- each file has now (renames followed), the commits' authors, and the renames git reported.
CREATE TABLE IF NOT EXISTS file_history (
    seq INTEGER NOT NULL,       -- the commit's git.commit event
    path TEXT NOT NULL,         -- as the commit named it
    name TEXT NOT NULL,         -- the file's name now
    PRIMARY KEY (seq, path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_file_history_name ON file_history(name, seq);
CREATE TABLE IF NOT EXISTS history_commits (
    seq INTEGER PRIMARY KEY,
    author TEXT NOT NULL,       -- after .mailmap
    timestamp TEXT NOT NULL,    -- author time, UTC
    paths INTEGER NOT NULL      -- how many paths it changed (cochange.max_files applies to this)
);
CREATE TABLE IF NOT EXISTS history_renames (
    seq INTEGER NOT NULL,
    old_path TEXT NOT NULL,
    new_path TEXT NOT NULL,
    PRIMARY KEY (seq, old_path)
) WITHOUT ROWID;

-- Files changed together by non-merge commits, under their current names (patina.derived.files).
CREATE TABLE IF NOT EXISTS co_changes (
    file_a TEXT NOT NULL,
    file_b TEXT NOT NULL,
    count INTEGER NOT NULL,
    last_updated_seq INTEGER NOT NULL,
    PRIMARY KEY (file_a, file_b),
    CHECK (file_a < file_b)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_co_changes_b ON co_changes(file_b);
-- The co-occurrence projection reads the most co-changed pairs first.
CREATE INDEX IF NOT EXISTS idx_co_changes_count ON co_changes(count DESC, file_a, file_b);

-- Who changed which file (current names), over non-merge commits, authors after .mailmap.
CREATE TABLE IF NOT EXISTS author_expertise (
    author TEXT NOT NULL,
    file_path TEXT NOT NULL,
    commit_count INTEGER NOT NULL,
    last_commit_timestamp TEXT NOT NULL,
    last_updated_seq INTEGER NOT NULL,
    PRIMARY KEY (author, file_path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_author_expertise_file ON author_expertise(file_path);
