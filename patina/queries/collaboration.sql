-- Author pairs and the number of files both have changed (non-merge commits, names after
-- .mailmap). Joins author_expertise on file_path: work grows with the authors per file,
-- not with every commit's file list.
--
-- @param author text null Only the pairs that include this author.
-- @param min_files int 1 Leave out pairs sharing fewer files than this.
WITH pairs AS (
    SELECT a.author AS author_a, b.author AS author_b
    FROM author_expertise AS a
    JOIN author_expertise AS b ON b.file_path = a.file_path AND b.author > a.author
    WHERE :author IS NULL
    UNION ALL  -- one author: its files by primary key, then the others on each file
    SELECT a.author, b.author
    FROM author_expertise AS a
    JOIN author_expertise AS b ON b.file_path = a.file_path AND b.author > a.author
    WHERE a.author = :author
    UNION ALL
    SELECT a.author, b.author
    FROM author_expertise AS b
    JOIN author_expertise AS a ON a.file_path = b.file_path AND a.author < b.author
    WHERE b.author = :author
)
SELECT author_a, author_b, count(*) AS shared_files
FROM pairs
GROUP BY author_a, author_b
HAVING count(*) >= :min_files
ORDER BY shared_files DESC, author_a, author_b
