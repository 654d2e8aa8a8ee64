#!/usr/bin/env bash
# Install Patina into its own virtual environment and set it up on a repository.
#
#   ./install.sh [REPO]          install, then init + hooks + first build of REPO
#                                (default: the repository containing the current directory, if any)
#   PATINA_VENV=DIR ./install.sh  choose the venv (default: ~/.patina/venv)
#   PYTHON=python3.12 ./install.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=${PATINA_VENV:-$HOME/.patina/venv}
python=${PYTHON:-python3}
repo=${1:-}

die() { echo "install.sh: $*" >&2; exit 1; }

command -v git >/dev/null 2>&1 || die "git is not installed"
command -v "$python" >/dev/null 2>&1 || die "$python not found (Patina needs Python >= 3.11; set PYTHON=...)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "Patina needs Python >= 3.11; $python is $("$python" -c 'import sys; print(sys.version.split()[0])')"

if [ -z "$repo" ] && git rev-parse --show-toplevel >/dev/null 2>&1; then
  top=$(git rev-parse --show-toplevel)
  [ "$top" != "$here" ] && repo=$top   # inside Patina's own checkout: just install
fi
if [ -n "$repo" ]; then
  git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || die "not a git repository: $repo"
fi

echo "==> installing Patina into $venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$here"
patina="$venv/bin/patina"
"$patina" --version

bindir="$HOME/.local/bin"
mkdir -p "$bindir"
ln -sf "$patina" "$bindir/patina"
case ":$PATH:" in *":$bindir:"*) ;; *) echo "    add $bindir to your PATH to run 'patina' directly";; esac

if [ -n "$repo" ]; then
  echo "==> setting up $repo"
  cd "$repo"
  "$patina" init
  "$patina" hooks install
  echo "==> first build"
  "$patina" scrape
  "$patina" status
fi
