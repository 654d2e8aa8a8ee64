"""`patina scry`: full-text search over a project's knowledge (sessions, goals, commits),
merged with the personal persona store, and the local HTTP service that serves it.

index    -- the SearchIndex materializer (scry_docs + scry_fts, patina/schema/50_scry.sql)
search   -- query parsing, BM25 scoring normalised to [0, 1], merging
persona  -- $PATINA_HOME/persona.db: personal notes
registry -- $PATINA_HOME/projects.registry: the projects the service may read
service  -- the Starlette app and its uvicorn server
"""
