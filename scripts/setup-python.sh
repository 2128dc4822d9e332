#!/usr/bin/env bash
# Creates (or updates) the Python virtualenv used by the tests: <repo>/.venv
# with the packages pinned in requirements-test.txt (moto server, boto3).
#
# Idempotent and fast when nothing changed: pip only runs when the sha256 of
# requirements-test.txt differs from the one recorded in
# .venv/.requirements.sha256 (written after a successful install).
#
# internal/testenv picks up .venv/bin/python automatically (unless
# AWSREPLICATOR_PYTHON is set).
#
# Environment:
#   PYTHON3   base interpreter used to create the venv (default: python3)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

venv=.venv
req=requirements-test.txt
stamp="$venv/.requirements.sha256"
base_python="${PYTHON3:-python3}"

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | awk '{print $1}'
	else
		shasum -a 256 "$1" | awk '{print $1}'
	fi
}

# A venv whose interpreter no longer runs (e.g. the base Python it was made
# from was upgraded or removed) is recreated from scratch.
if [[ -e "$venv" ]] && ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
	echo "setup-python: $venv is broken, recreating it" >&2
	rm -rf "$venv"
fi

if [[ ! -d "$venv" ]]; then
	echo "setup-python: creating $venv with $base_python" >&2
	"$base_python" -m venv "$venv"
fi

want="$(sha256 "$req")"
have=""
if [[ -f "$stamp" ]]; then
	have="$(<"$stamp")"
fi

if [[ "$want" != "$have" ]]; then
	echo "setup-python: installing $req into $venv" >&2
	"$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req"
	printf '%s\n' "$want" >"$stamp.tmp"
	mv "$stamp.tmp" "$stamp"
fi
