-- Files changed together by non-merge commits (see patina.derived.cochange).
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

-- Who changed which file, over non-merge commits, authors after .mailmap.
CREATE TABLE IF NOT EXISTS author_expertise (
    author TEXT NOT NULL,
    file_path TEXT NOT NULL,
    commit_count INTEGER NOT NULL,
    last_commit_timestamp TEXT NOT NULL,
    last_updated_seq INTEGER NOT NULL,
    PRIMARY KEY (author, file_path)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS idx_author_expertise_file ON author_expertise(file_path);
