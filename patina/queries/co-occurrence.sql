-- The most co-changed file pairs: how many non-merge commits (of at most cochange.max_files
-- paths) changed both files. Optionally only the pairs that include one file.
--
-- @param file text null Only the pairs that include this path.
-- @param min_count int 1 Leave out pairs changed together fewer times than this.
SELECT file_a, file_b, count
FROM (
    SELECT file_a, file_b, count FROM co_changes WHERE :file IS NULL AND count >= :min_count
    UNION ALL
    SELECT file_a, file_b, count FROM co_changes WHERE file_a = :file AND count >= :min_count
    UNION ALL
    SELECT file_a, file_b, count FROM co_changes WHERE file_b = :file AND count >= :min_count
)
ORDER BY count DESC, file_a, file_b
