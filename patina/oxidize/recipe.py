"""The oxidize recipe: ``.patina/oxidize.yaml``, committed, read from the commit the log is built for.

Team-wide, like ``.patina/config.toml``: which embedding model, what is embedded, which
projections are trained and how, how scry fuses its oracles. Validated once, here, with the
same machinery as the team config (:func:`patina.config.validate_sections`): every key has a
type and a default (an empty or absent recipe is valid), and a bad file is one
:class:`~patina.errors.ConfigError` naming the key (exit 8).

Where the model's *files* are is not in the recipe: that is local (fastembed's cache, or a
directory given by ``PATINA_MODEL_PATH`` or ``patina oxidize --model-path``).

Hashes (:meth:`Recipe.vectors_hash`, :meth:`Recipe.projection_hash`) say what a stored vector or
projection was made with: a change to ``embedding_model`` or ``embed`` makes every vector stale,
a change to one projection's settings only that projection.

NamedTuples and ruamel imported on use: this module is imported by status and the hooks' checks.
"""

from __future__ import annotations

import hashlib
from collections import namedtuple
from typing import Any, NamedTuple

from patina.config import Key, blob_ids, read_text, validate_sections
from patina.errors import ConfigError

RECIPE_PATH = ".patina/oxidize.yaml"
VERSION = 1
DEFAULT_MODEL = "BAAI/bge-small-en-v1.5"  # = patina.oxidize.model.DEFAULT_MODEL (numpy-free here)
# What can be embedded: the search index's document types (code symbols have their own switch).
KNOWLEDGE_TYPES = ("decision", "pattern", "work", "context", "observation", "goal", "commit")
PROJECTION_NAMES = ("semantic", "temporal", "dependency")
PROJECTION_METHODS = ("contrastive", "ridge", "procrustes")  # = patina.oxidize.train.METHODS


class Embed(NamedTuple):
    types: tuple[str, ...] = KNOWLEDGE_TYPES
    code_symbols: bool = False
    max_chars: int = 1000
    max_tokens: int = 256
    int8: bool = True


_PROJECTION_FIELDS = ("enabled", "method", "epochs", "lr", "temperature", "batch_size", "ridge", "seed", "holdout")


def _projection_class(name: str, enabled: bool):
    cls = namedtuple(f"{name.capitalize()}Projection", _PROJECTION_FIELDS,
                     defaults=(enabled, "contrastive", 2, 3e-4, 0.1, 256, 10.0, 0, 0.2))
    return cls


SemanticProjection = _projection_class("semantic", True)
TemporalProjection = _projection_class("temporal", False)
DependencyProjection = _projection_class("dependency", False)


class Fusion(NamedTuple):
    """How scry's hybrid mode fuses its oracles (reciprocal rank fusion, see patina.scry.hybrid)."""

    k: int = 60
    depth: int = 20
    lexical: float = 1.0
    semantic: float = 1.0
    temporal: float = 0.5
    persona: float = 0.95
    lexical_floor: float = 0.0
    champions: int = 2


_PROJECTION_CLASSES = {"semantic": SemanticProjection, "temporal": TemporalProjection,
                       "dependency": DependencyProjection}
_DEFAULT_PROJECTIONS = {name: cls() for name, cls in _PROJECTION_CLASSES.items()}


class Recipe(NamedTuple):
    """The effective recipe: every key present, every value checked."""

    version: int = VERSION
    embedding_model: str = DEFAULT_MODEL
    embed: Embed = Embed()
    projections: dict = _DEFAULT_PROJECTIONS  # name -> its settings (a namedtuple); never mutated
    fusion: Fusion = Fusion()
    notes: tuple[str, ...] = ()  # what the recipe asks for that is ignored (not part of its hash)

    def projection(self, name: str):
        return self.projections.get(name) or _PROJECTION_CLASSES[name]()

    def enabled_projections(self) -> list[str]:
        return [n for n in PROJECTION_NAMES if self.projection(n).enabled]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (tuples as lists), every key: what oxidize_meta stores."""
        def plain(section) -> dict[str, Any]:
            return {k: list(v) if isinstance(v, tuple) else v for k, v in section._asdict().items()}

        return {"version": self.version, "embedding_model": self.embedding_model, "embed": plain(self.embed),
                "projections": {n: plain(self.projection(n)) for n in PROJECTION_NAMES},
                "fusion": plain(self.fusion)}

    def vectors_hash(self) -> str:
        """What every stored vector depends on: the model named and what is embedded, how."""
        d = self.as_dict()
        return _digest({"embedding_model": d["embedding_model"], "embed": d["embed"]})

    def projection_hash(self, name: str) -> str:
        """What a projection depends on: the vectors' recipe and its own settings."""
        return _digest({"vectors": self.vectors_hash(), name: self.as_dict()["projections"][name]})

    def hash(self) -> str:
        """The canonical hash of the whole effective recipe."""
        return _digest(self.as_dict())


def _digest(data: Any) -> str:
    from patina.events import canonical_json

    return hashlib.sha256(canonical_json(data).encode()).hexdigest()[:16]


# --- the value types ----------------------------------------------------------------------------

def _version(value: Any) -> int:
    if isinstance(value, bool) or value != VERSION:
        raise ValueError(f"this Patina reads recipe version {VERSION}, got {value!r}")
    return VERSION


def _model_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ValueError(f"expected a fastembed model name such as {DEFAULT_MODEL}, got {value!r}")
    return value.strip()


def _types(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of document types, got {value!r}")
    unknown = [v for v in value if v not in KNOWLEDGE_TYPES]
    if unknown:
        raise ValueError(f"unknown type {unknown[0]!r} (known: {', '.join(KNOWLEDGE_TYPES)})")
    return tuple(t for t in KNOWLEDGE_TYPES if t in value)


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _int(low: int, high: int | None = None):
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f">= {low}"
            raise ValueError(f"expected an integer {bound}, got {value!r}")
        return value
    return check


def _float(low: float, high: float | None = None, *, open_low: bool = False, open_high: bool = False):
    def check(value: Any) -> float:
        ok = not isinstance(value, bool) and isinstance(value, (int, float))
        if ok:
            value = float(value)
            ok = (value > low if open_low else value >= low) and (
                high is None or (value < high if open_high else value <= high))
        if not ok:
            what = f"in ({low}, {high})" if open_low and open_high and high is not None else (
                f"> {low}" if open_low else f">= {low}")
            raise ValueError(f"expected a number {what}, got {value!r}")
        return value
    return check


def _method(value: Any) -> str:
    if value not in PROJECTION_METHODS:
        raise ValueError(f"unknown method {value!r} (methods: {', '.join(PROJECTION_METHODS)})")
    return value


def _layers(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                                              for v in value):
        raise ValueError(f"expected a list of layer widths, got {value!r}")
    return tuple(value)


LAYERS_NOTE = ("{key} {value}: Patina trains linear maps in the model's own dimension; "
               "the hidden layers are ignored")


TOP_KEYS: dict[str, Key] = {
    "version": Key(_version, f"the recipe format ({VERSION})"),
    "embedding_model": Key(_model_name, "a fastembed model name; its files are found locally (not committed)"),
}
KEYS: dict[str, Key] = {
    "embed.types": Key(_types, "which knowledge documents are embedded"),
    "embed.code_symbols": Key(_bool, "also embed code definitions (functions, types, constants)"),
    "embed.max_chars": Key(_int(1), "a document's text is cut at this many characters"),
    "embed.max_tokens": Key(_int(8, 8192), "... and at this many model tokens (throughput; vectors depend on it)"),
    "embed.int8": Key(_bool, "run the model's weight products in int8 (onnxruntime dynamic quantization): "
                             "~1.4x faster on CPU, vectors within ~1% of float ones"),
    "fusion.k": Key(_int(0), "reciprocal rank fusion's k: score = weight / (k + rank)"),
    "fusion.depth": Key(_int(1, 1000), "how many of each oracle's best results are fused"),
    "fusion.lexical": Key(_float(0.0), "weight of the lexical oracle (BM25)"),
    "fusion.semantic": Key(_float(0.0), "weight of the semantic oracle (vectors)"),
    "fusion.temporal": Key(_float(0.0), "weight of the temporal oracle (co_changes of a file the query names)"),
    "fusion.persona": Key(_float(0.0), "weight of your persona notes"),
    "fusion.lexical_floor": Key(_float(0.0, 1.0), "lexical hits scoring below this share of the best are not fused"),
    "fusion.champions": Key(_int(0, 10), "the lexical and semantic oracles' best N answers follow the fused first"),
}
_PROJECTION_KEYS = {
    "enabled": Key(_bool, "train this projection"),
    "method": Key(_method, "contrastive (InfoNCE), ridge or procrustes"),
    "epochs": Key(_int(1, 100), "contrastive: passes over the training pairs"),
    "lr": Key(_float(0.0, open_low=True), "contrastive: Adam's learning rate"),
    "temperature": Key(_float(0.0, open_low=True), "contrastive: InfoNCE temperature"),
    "batch_size": Key(_int(2), "contrastive: pairs per batch (in-batch negatives)"),
    "layers": Key(_layers, "the spec's MLP widths: accepted, noted, ignored (projections are linear maps)"),
    "ridge": Key(_float(0.0), "ridge: pull towards the identity"),
    "seed": Key(_int(0), "the seed of every random choice (deterministic training)"),
    "holdout": Key(_float(0.0, 1.0, open_low=True, open_high=True), "newest share of events held out to validate"),
}
for _name in PROJECTION_NAMES:
    for _key, _spec in _PROJECTION_KEYS.items():
        KEYS[f"projections.{_name}.{_key}"] = _spec
SECTIONS: dict[str, type] = {"embed": Embed, "fusion": Fusion,
                             **{f"projections.{n}": _PROJECTION_CLASSES[n] for n in PROJECTION_NAMES}}


def validate(raw: Any, where: str = RECIPE_PATH) -> Recipe:
    """A parsed YAML document as a :class:`Recipe`; ConfigError naming the first bad key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of keys, got {type(raw).__name__}")
    top: dict[str, Any] = {}
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        key = str(key)
        if key in TOP_KEYS:
            try:
                top[key] = TOP_KEYS[key].check(value)
            except ValueError as exc:
                raise ConfigError(f"{where}: {key}: {exc}") from None
        elif key == "projections":
            if value is None:
                continue
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: projections must be a mapping of {', '.join(PROJECTION_NAMES)}")
            for name, section in value.items():
                if name not in PROJECTION_NAMES:
                    raise ConfigError(f"{where}: unknown projection projections.{name} "
                                      f"(known: {', '.join(PROJECTION_NAMES)})")
                flat[f"projections.{name}"] = section
        elif key in ("embed", "fusion"):
            flat[key] = value
        else:
            known = [*TOP_KEYS, "embed", "projections", "fusion"]
            raise ConfigError(f"{where}: unknown key {key} (known: {', '.join(known)})")
    notes = []
    for name in PROJECTION_NAMES:  # the spec's recipe gives hidden layers: noted, then left out
        section = flat.get(f"projections.{name}")
        if isinstance(section, dict) and "layers" in section:
            key = f"projections.{name}.layers"
            try:
                layers = KEYS[key].check(section["layers"])
            except ValueError as exc:
                raise ConfigError(f"{where}: {key}: {exc}") from None
            notes.append(LAYERS_NOTE.format(key=key, value=list(layers)))
            flat[f"projections.{name}"] = {k: v for k, v in section.items() if k != "layers"}
    sections = validate_sections(flat, SECTIONS, KEYS, where)
    projections = {n: sections[f"projections.{n}"] for n in PROJECTION_NAMES}
    return Recipe(embed=sections["embed"], fusion=sections["fusion"], projections=projections, **top,
                  notes=tuple(notes))


def parse_yaml(text: str, where: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise ConfigError(f"{where} is not valid YAML: {' '.join(str(exc).split())[:200]}") from None


def from_text(text: str, where: str = RECIPE_PATH) -> Recipe:
    return validate(parse_yaml(text, where), where)


def load(git_dir: str, commit: str | None) -> Recipe:
    """The recipe as committed at ``commit`` (the defaults when absent or unborn).
    Raises ConfigError when the committed file is invalid."""
    if commit is None:
        return Recipe()
    blob = blob_ids(git_dir, commit, [RECIPE_PATH])[0]
    if blob is None:
        return Recipe()
    where = f"{RECIPE_PATH} at {commit[:12]}"
    return from_text(read_text(git_dir, blob), where)


def from_dict(data: Any) -> Recipe:
    """The recipe stored in oxidize_meta (:meth:`Recipe.as_dict`); the defaults if unreadable."""
    if not isinstance(data, dict):
        return Recipe()
    try:
        return validate(data, "stored recipe")
    except ConfigError:
        return Recipe()


UNCOMMITTED = (f"{RECIPE_PATH} has uncommitted changes: oxidize follows the committed recipe "
               "(commit the file to apply them)")

DEFAULT_TEXT = f"""\
# Patina oxidize recipe: committed, so every teammate embeds and trains the same way.
# Read from the commit the log is built for. Every key is optional; the values below are the
# defaults. Where the model's files are is local, never here: fastembed's cache, or a directory
# (model.onnx + tokenizer.json + configs) given by PATINA_MODEL_PATH or
# `patina oxidize --model-path DIR`.
version: 1
embedding_model: {DEFAULT_MODEL}   # a fastembed model name

embed:
  # Knowledge documents to embed (session items, goals, commit messages).
  types: [decision, pattern, work, context, observation, goal, commit]
  code_symbols: false   # also embed code definitions (needed by the dependency projection)
  max_chars: 1000       # a document's text is cut here...
  max_tokens: 256       # ...and at this many model tokens
  int8: true            # int8 weight products (onnxruntime dynamic quantization): ~1.4x faster,
                        # vectors within ~1% of float ones; false: the model's float output

# Linear maps trained from the log's own related pairs, validated on the newest 20% held out;
# scry uses one only where it beats the plain vectors there.
projections:
  semantic:             # items of one session; a decision and the commits that follow it
    enabled: true
    method: contrastive # contrastive | ridge | procrustes
    epochs: 2
    lr: 0.0003
    temperature: 0.1
    batch_size: 256
    ridge: 10.0
    seed: 0
    holdout: 0.2
  temporal:             # commits that changed the same file
    enabled: false
  dependency:           # functions that call each other (needs embed.code_symbols)
    enabled: false

# How `patina scry` fuses its oracles in hybrid mode: weight / (k + rank), summed.
fusion:
  k: 60
  depth: 20             # each oracle's best results that are fused
  lexical: 1.0
  semantic: 1.0
  temporal: 0.5
  persona: 0.95
  lexical_floor: 0.0    # lexical hits below this share of the best BM25 score are left out
  champions: 2          # lexical's and semantic's best N come right after the fused first
"""
