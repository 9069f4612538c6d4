#!/usr/bin/env bash
# Every C# snippet in README.md and docs/ compiles; README's quick start also runs.
exec "$(dirname "${BASH_SOURCE[0]}")/../../eng/check-doc-snippets.sh" --run
