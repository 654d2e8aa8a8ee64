"""Generate a synthetic multi-language code repository for the code-source bench.

A first commit of N source files (Python, Rust, Go, JavaScript, TypeScript; 40-400 lines each,
with classes/structs, methods, imports and calls), then C commits that add, change, rename
and delete functions and files. Deterministic for a given seed; written with `git fast-import`.

    python bench/gen_code_tree.py /tmp/code-synth --files 1000 --commits 300 [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import subprocess
from pathlib import Path

WORDS = ("alpha beta gamma delta store event commit parse index query cache merge branch value "
         "result error handle config build update append token stream graph order table view").split()
LANGS = ("py", "rs", "go", "js", "ts")


class Code:
    """Source text generators, one per language: a module is a list of top-level units."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def ident(self, parts: int = 2) -> str:
        return "_".join(self.rng.choice(WORDS) for _ in range(parts))

    def camel(self, parts: int = 2) -> str:
        return "".join(self.rng.choice(WORDS).title() for _ in range(parts))

    def body(self, lang: str, indent: str, n: int) -> list[str]:
        lines = []
        for _ in range(n):
            callee = self.ident()
            arg = self.rng.choice(WORDS)
            if lang == "py":
                lines.append(f"{indent}{arg} = {callee}({arg}, {self.rng.randint(0, 99)})")
            elif lang == "rs":
                lines.append(f"{indent}let {arg} = {callee}({arg}, {self.rng.randint(0, 99)});")
            elif lang == "go":
                lines.append(f"{indent}{arg} := {callee}({arg}, {self.rng.randint(0, 99)})")
            else:
                lines.append(f"{indent}const {arg}{self.rng.randint(0, 999)} = {callee}({arg}, {self.rng.randint(0, 99)});")
        return lines

    def function(self, lang: str, name: str, method: bool = False) -> list[str]:
        n = self.rng.randint(2, 12)
        params = [self.rng.choice(WORDS) for _ in range(self.rng.randint(0, 3))]
        if lang == "py":
            ps = ", ".join((["self"] if method else []) + [f"{p}{i}: int" for i, p in enumerate(params)])
            ind = "        " if method else "    "
            return [f"{ind[:-4]}def {name}({ps}) -> int:", *self.body(lang, ind, n), f"{ind}return 0", ""]
        if lang == "rs":
            ps = ", ".join((["&mut self"] if method else []) + [f"{p}{i}: u32" for i, p in enumerate(params)])
            ind = "        " if method else "    "
            return [f"{ind[:-4]}pub fn {name}({ps}) -> Result<u32, Error> {{", *self.body(lang, ind, n),
                    f"{ind}Ok(0)", f"{ind[:-4]}}}", ""]
        if lang == "go":
            ps = ", ".join(f"{p}{i} int" for i, p in enumerate(params))
            recv = "(s *Server) " if method else ""
            return [f"func {recv}{name}({ps}) (int, error) {{", *self.body(lang, "\t", n), "\treturn 0, nil", "}", ""]
        typed = lang == "ts"
        ps = ", ".join(f"{p}{i}" + (": number" if typed else "") for i, p in enumerate(params))
        ret = ": number" if typed else ""
        if method:
            return [f"  {name}({ps}){ret} {{", *self.body(lang, "    ", n), "    return 0;", "  }", ""]
        return [f"export function {name}({ps}){ret} {{", *self.body(lang, "  ", n), "  return 0;", "}", ""]

    def container(self, lang: str) -> list[str]:
        name = self.camel()
        methods = [self.ident() for _ in range(self.rng.randint(1, 6))]
        if lang == "py":
            out = [f"class {name}:", f"    size: int = {self.rng.randint(0, 9)}", ""]
            for m in methods:
                out += self.function(lang, m, method=True)
            return out
        if lang == "rs":
            out = [f"pub struct {name} {{", "    pub size: u32,", "}", "", f"impl {name} {{"]
            for m in methods:
                out += self.function(lang, m, method=True)
            return out + ["}", ""]
        if lang == "go":
            out = [f"type {name} struct {{", "\tSize int", "}", ""]
            for m in methods:
                out += self.function(lang, m.title().replace("_", ""), method=True)
            return out
        out = [f"export class {name} {{"]
        for m in methods:
            out += self.function(lang, m, method=True)
        return out + ["}", ""]

    def header(self, lang: str) -> list[str]:
        mods = [self.rng.choice(WORDS) for _ in range(self.rng.randint(1, 4))]
        if lang == "py":
            return [f"import {m}" for m in mods] + [""]
        if lang == "rs":
            return [f"use crate::{m}::{{{self.camel()}, {self.ident()}}};" for m in mods] + [""]
        if lang == "go":
            return ["package main", "", "import ("] + [f'\t"example.com/{m}"' for m in mods] + [")", ""]
        return [f'import {{ {self.ident()} }} from "./{m}";' for m in mods] + [""]

    def module(self, lang: str) -> list[list[str]]:
        units = [self.header(lang)]
        for _ in range(self.rng.randint(2, 14)):
            if self.rng.random() < 0.35:
                units.append(self.container(lang))
            else:
                units.append(self.function(lang, self.ident(3)))
        return units


def render(units: list[list[str]]) -> bytes:
    return ("\n".join(line for unit in units for line in unit) + "\n").encode()


def generate(path: Path, files: int, commits: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    code = Code(rng)
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    tree: dict[str, tuple[str, list[list[str]]]] = {}
    for i in range(files):
        lang = LANGS[i % len(LANGS)]
        tree[f"src/{WORDS[i % len(WORDS)]}/{code.ident()}_{i}.{lang}"] = (lang, code.module(lang))
    out: list[bytes] = []
    when = 1_600_000_000

    def commit(msg: str, changes: list[tuple[str, str | None]], first: bool) -> None:
        nonlocal when
        when += rng.randint(600, 86_400)
        out.append(b"commit refs/heads/main\n")
        out.append(f"committer Ann Author <ann@example.com> {when} +0000\n".encode())
        out.append(f"data {len(msg.encode())}\n{msg}\n".encode())
        if first:
            pass
        for op, p in changes:
            if op == "D":
                out.append(f"D {p}\n".encode())
            else:
                blob = render(tree[p][1])  # type: ignore[index]
                out.append(f"M 100644 inline {p}\ndata {len(blob)}\n".encode() + blob + b"\n")
        out.append(b"\n")

    commit("initial tree", [("M", p) for p in sorted(tree)], True)
    for c in range(commits):
        changes: list[tuple[str, str | None]] = []
        for _ in range(rng.randint(1, 6)):
            p = rng.choice(sorted(tree))
            lang, units = tree[p]
            roll = rng.random()
            if roll < 0.4 and len(units) > 2:  # change a function body / signature
                k = rng.randrange(1, len(units))
                units[k] = code.container(lang) if rng.random() < 0.3 else code.function(lang, code.ident(3))
                changes.append(("M", p))
            elif roll < 0.7:  # add a function
                units.insert(rng.randrange(1, len(units) + 1), code.function(lang, code.ident(3)))
                changes.append(("M", p))
            elif roll < 0.8 and len(units) > 2:  # delete a function
                del units[rng.randrange(1, len(units))]
                changes.append(("M", p))
            elif roll < 0.9:  # rename the file
                new = p.rsplit("/", 1)[0] + f"/{code.ident()}_r{c}.{lang}"
                if new not in tree:
                    tree[new] = tree.pop(p)
                    changes += [("D", p), ("M", new)]
            else:  # delete the file, add another
                del tree[p]
                changes.append(("D", p))
                new_lang = rng.choice(LANGS)
                new = f"src/new/{code.ident()}_{c}.{new_lang}"
                tree[new] = (new_lang, code.module(new_lang))
                changes.append(("M", new))
        seen: dict[str, str] = {}
        for op, p in changes:
            seen[p] = op
        final = [(op, p) for p, op in seen.items() if op == "D" or p in tree]
        commit(f"change {c}", sorted(final, key=lambda x: x[1]), False)
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(out), check=True)
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "-f", "main"], check=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", type=Path)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--commits", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    generate(args.path, args.files, args.commits, args.seed)


if __name__ == "__main__":
    main()
