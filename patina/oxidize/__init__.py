"""Oxidize: embeddings, trained projections and hybrid search (phase 1: the building blocks).

Modules, one concept each:

* :mod:`~patina.oxidize.model`   which embedding model, where its files are, texts -> unit vectors
  (fastembed, batches sorted by length); one-line :class:`~patina.oxidize.model.ModelUnavailable`;
  a light query encoder (onnxruntime + tokenizers, no fastembed import) for cold CLI calls;
* :mod:`~patina.oxidize.texts`   what is embedded: the search index's documents as texts;
* :mod:`~patina.oxidize.vectors` float32 BLOBs keyed by seq in the project database, numpy top-k,
  append / truncate by seq, an in-memory index for a service, compare-within-tolerance for verify;
* :mod:`~patina.oxidize.pairs`   related pairs from the log (semantic, temporal) for training;
* :mod:`~patina.oxidize.train`   linear projections, validated on the newest pairs held out;
* :mod:`~patina.oxidize.fusion`  reciprocal rank fusion of several rankings.

Every module imports its heavy libraries (numpy, fastembed, onnxruntime) itself, at its own import
or at call time, never through this package's ``__init__``: the git hook path must never pay for
them. Import the submodule you need.
"""
