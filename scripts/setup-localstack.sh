#!/usr/bin/env bash
# Creates (or updates) the Python virtualenv that runs a real LocalStack for
# the tests: <repo>/.venv-localstack, git-ignored, with the packages pinned
# in requirements-localstack.txt (localstack-core 2026.3.0, the community
# runtime, run as a plain process: no Docker, no auth token).
#
# localstack-core 2026.3.0 needs Python 3.13. The base interpreter is the
# first that works of:
#   1. $AWSREPLICATOR_PYTHON313 (an error if it is set but is not 3.13+);
#   2. ~/.pyenv/versions/3.13*/bin/python3 (also under /root);
#   3. python3.13 from PATH.
# Without one, this prints why and exits 0 without creating the venv: the
# tests then skip their LocalStack cases with that reason (with CI set they
# fail instead). AWSREPLICATOR_SKIP_LOCALSTACK=1 skips this script (and the
# tests' LocalStack cases) on purpose.
#
# Idempotent and fast when nothing changed: pip only runs when the sha256 of
# requirements-localstack.txt (and the interpreter version) differs from the
# one recorded in .venv-localstack/.requirements.sha256, written after a
# successful install. After an install it prebuilds LocalStack's service
# catalog index into .venv-localstack/spec-cache/ (about 3 s, once): each
# LocalStack the tests start gets a copy, which saves ~3 s and ~300 MB on
# its first request.
#
# internal/testenv picks up .venv-localstack/bin/python automatically
# (unless AWSREPLICATOR_LOCALSTACK_PYTHON is set).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

venv=.venv-localstack
req=requirements-localstack.txt
stamp="$venv/.requirements.sha256"
cache="$venv/spec-cache"

case "${AWSREPLICATOR_SKIP_LOCALSTACK:-}" in
"" | 0 | false | no) ;;
*)
	echo "setup-localstack: AWSREPLICATOR_SKIP_LOCALSTACK is set, not installing LocalStack (tests run against moto only)" >&2
	exit 0
	;;
esac

sha256() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | awk '{print $1}'
	else
		shasum -a 256 "$1" | awk '{print $1}'
	fi
}

# pyver PYTHON prints "3.13.0" if PYTHON runs and is Python 3.13 or newer.
pyver() {
	"$1" -c 'import sys; v = sys.version_info
if v[:2] < (3, 13): sys.exit(1)
print("%d.%d.%d" % v[:3])' 2>/dev/null
}

find_python313() {
	if [[ -n "${AWSREPLICATOR_PYTHON313:-}" ]]; then
		if pyver "$AWSREPLICATOR_PYTHON313" >/dev/null; then
			printf '%s\n' "$AWSREPLICATOR_PYTHON313"
			return 0
		fi
		echo "setup-localstack: AWSREPLICATOR_PYTHON313=$AWSREPLICATOR_PYTHON313 is not a working Python 3.13 interpreter" >&2
		return 2
	fi
	local c
	for c in "${HOME:-/root}"/.pyenv/versions/3.13*/bin/python3 /root/.pyenv/versions/3.13*/bin/python3; do
		if [[ -x "$c" ]] && pyver "$c" >/dev/null; then
			printf '%s\n' "$c"
			return 0
		fi
	done
	# May be a pyenv shim that fails when 3.13 is not installed: pyver checks.
	if c="$(command -v python3.13)" && pyver "$c" >/dev/null; then
		printf '%s\n' "$c"
		return 0
	fi
	return 1
}

# A venv whose interpreter no longer runs, or is not 3.13+ (e.g. made by
# hand with another Python), is recreated from scratch.
if [[ -e "$venv" ]] && ! pyver "$venv/bin/python" >/dev/null; then
	echo "setup-localstack: $venv is broken or not Python 3.13, recreating it" >&2
	rm -rf "$venv"
fi

if [[ ! -d "$venv" ]]; then
	found=0
	base_python="$(find_python313)" || found=$?
	if [[ $found -eq 2 ]]; then
		exit 1
	elif [[ $found -ne 0 ]]; then
		cat >&2 <<-'EOF'
			setup-localstack: no Python 3.13 found (tried $AWSREPLICATOR_PYTHON313,
			~/.pyenv/versions/3.13*/bin/python3 and python3.13 on PATH), so LocalStack
			(localstack-core 2026.3.0 needs Python 3.13) is not installed. The tests
			skip their LocalStack cases (with CI set they fail): install Python 3.13 or
			set AWSREPLICATOR_PYTHON313, or set AWSREPLICATOR_SKIP_LOCALSTACK=1 to test
			against moto only.
		EOF
		exit 0
	fi
	echo "setup-localstack: creating $venv with $base_python ($(pyver "$base_python"))" >&2
	"$base_python" -m venv "$venv"
fi

want="$(sha256 "$req") python-$(pyver "$venv/bin/python")"
have=""
if [[ -f "$stamp" ]]; then
	have="$(<"$stamp")"
fi

if [[ "$want" != "$have" ]]; then
	echo "setup-localstack: installing $req into $venv" >&2
	rm -rf "$cache" "$stamp"
	"$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req"
	printf '%s\n' "$want" >"$stamp.tmp"
	mv "$stamp.tmp" "$stamp"
fi

# The service catalog index (service-catalog-<localstack>-<botocore>.dill),
# built the way LocalStack's own Docker image does at build time. Run offline
# and confined to a temporary FILESYSTEM_ROOT, like the tests' servers.
if ! compgen -G "$cache/service-catalog-*.dill" >/dev/null; then
	echo "setup-localstack: prebuilding the LocalStack service catalog into $cache" >&2
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/fs/usr/lib/localstack" "$tmp/home"
	if ! env -i PATH=/usr/bin:/bin HOME="$tmp/home" \
		OVERRIDE_IN_DOCKER=0 FILESYSTEM_ROOT="$tmp/fs" DISABLE_EVENTS=1 \
		AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
		AWS_EC2_METADATA_DISABLED=true \
		"$root/$venv/bin/python" -m localstack.aws.spec >"$tmp/spec.log" 2>&1 ||
		! compgen -G "$tmp/fs/usr/lib/localstack/service-catalog-*.dill" >/dev/null; then
		echo "setup-localstack: building the service catalog failed (LocalStack still works, its first request is slower):" >&2
		cat "$tmp/spec.log" >&2
		exit 0
	fi
	rm -rf "$cache.tmp"
	mkdir -p "$cache.tmp"
	cp "$tmp"/fs/usr/lib/localstack/service-catalog-*.dill "$cache.tmp/"
	rm -rf "$cache"
	mv "$cache.tmp" "$cache"
fi
