#!/usr/bin/env bash
# Commit the generated Colab/download notebooks to the `notebooks` branch, which the book's
# "Open in Colab" buttons point at: the full notebooks (_build/notebooks/book/*.ipynb ->
# book/) and the student notebooks without solutions (_build/notebooks/student/book/*.ipynb
# -> student/book/). Run `make notebooks` first (`make publish-notebooks` does); push the
# branch yourself (git push origin notebooks). main never holds notebooks.
# The notebooks' install cell pins the commit (or tag) they were generated from: publish
# from a commit that is pushed, so that Colab can install it.
set -euo pipefail
repo=$(git rev-parse --show-toplevel)
src="$repo/_build/notebooks"
[ -d "$src/book" ] || { echo "no notebooks in $src: run 'make notebooks' first" >&2; exit 1; }
[ -d "$src/student/book" ] || { echo "no student notebooks in $src/student: run 'make notebooks'" >&2; exit 1; }
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "warning: uncommitted changes; the notebooks install serlib at $(git -C "$repo" rev-parse --short HEAD), which does not contain them" >&2
fi
work=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$work" >/dev/null 2>&1 || true' EXIT
if git -C "$repo" show-ref --verify --quiet refs/heads/notebooks; then
  git -C "$repo" worktree add "$work" notebooks
else
  git -C "$repo" worktree add --detach "$work"
  git -C "$work" checkout --orphan notebooks
  git -C "$work" rm -rf --quiet .
fi
rm -rf "$work/book" "$work/student"
mkdir -p "$work/book" "$work/student/book"
cp "$src"/book/*.ipynb "$work/book/"
cp "$src"/student/book/*.ipynb "$work/student/book/"
git -C "$work" add book student
git -C "$work" commit -q -m "Notebooks (full and student) generated from $(git -C "$repo" rev-parse --short HEAD)" \
  || echo "notebooks unchanged"
echo "notebooks branch updated (book/ and student/book/); publish with: git push origin notebooks"
