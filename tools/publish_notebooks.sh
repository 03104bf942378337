#!/usr/bin/env bash
# Commit the generated Colab/download notebooks (_build/notebooks/book/*.ipynb) to the
# `notebooks` branch, which the books' "Open in Colab" buttons point at. Run `make notebooks`
# first; push the branch yourself (git push origin notebooks). main never holds notebooks.
set -euo pipefail
repo=$(git rev-parse --show-toplevel)
src="$repo/_build/notebooks"
[ -d "$src/book" ] || { echo "no notebooks in $src: run 'make notebooks' first" >&2; exit 1; }
work=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$work" >/dev/null 2>&1 || true' EXIT
if git -C "$repo" show-ref --verify --quiet refs/heads/notebooks; then
  git -C "$repo" worktree add "$work" notebooks
else
  git -C "$repo" worktree add --detach "$work"
  git -C "$work" checkout --orphan notebooks
  git -C "$work" rm -rf --quiet .
fi
rm -rf "$work/book" && mkdir -p "$work/book" && cp "$src"/book/*.ipynb "$work/book/"
git -C "$work" add book
git -C "$work" commit -q -m "Notebooks generated from $(git -C "$repo" rev-parse --short HEAD)" \
  || echo "notebooks unchanged"
echo "notebooks branch updated; publish with: git push origin notebooks"
