"""Oxidize: embeddings, trained projections and hybrid search (phase 1: the building blocks).

Every module here imports its heavy libraries (numpy, fastembed, onnxruntime, sqlite-vec) at
call time or at its own import, never through this package's ``__init__``: the git hook path
must never pay for them. Import the submodule you need (``patina.oxidize.model`` ...).
"""
