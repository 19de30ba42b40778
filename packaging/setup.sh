#!/usr/bin/env bash
# Sets up whatever is missing for the Inference Procurement Workbook, then
# optionally runs the app or the test suite. The Makefile's targets call this;
# it also works on its own (a bare Debian has no `make`).
#
#   packaging/setup.sh [--force] [setup]     install what is missing (default)
#   packaging/setup.sh [--force] run [ARGS]  set up, then `.venv/bin/ipw open --sample`
#                                            (or `.venv/bin/ipw ARGS` when ARGS are given)
#   packaging/setup.sh [--force] test [ARGS] set up, then the whole pytest suite headless
#                                            (ARGS go to pytest) and `lint-imports`
#   packaging/setup.sh check                 exit 0 if the set-up is current, 1 if not; installs nothing
#   packaging/setup.sh packages              print the Debian package list, one per line
#   packaging/setup.sh lock                  re-resolve the venv from pyproject.toml and rewrite
#                                            packaging/constraints.txt from `pip freeze`
#
# What "set up" means, in order:
#   1. Debian packages in packaging/debian-packages.txt: checked with dpkg-query; the missing
#      ones are installed with `apt-get install -y --no-install-recommends` when root (after
#      one `apt-get update`); when not root, the exact sudo command is printed and it exits 1.
#   2. `.venv` created with `python3 -m venv` when missing (or broken).
#   3. `pip install -c packaging/constraints.txt -e '.[test]'`.
# A stamp file in .venv records a hash of pyproject.toml, the constraints, the package list
# and this script; when it matches, nothing is checked again and set-up takes milliseconds.
# --force (or IPW_SETUP_FORCE=1) ignores the stamp.
#
# Environment: PYTHON (interpreter for the venv, default python3), IPW_VENV (default
# <repo>/.venv), IPW_SKIP_APT=1 (skip step 1, e.g. on a non-Debian system).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
VENV="${IPW_VENV:-$ROOT/.venv}"
PACKAGES_FILE="packaging/debian-packages.txt"
CONSTRAINTS_FILE="packaging/constraints.txt"
STAMP="$VENV/.ipw-setup-stamp"
FORCE="${IPW_SETUP_FORCE:-0}"

say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# --- the package list -------------------------------------------------------------------
# Comments start with '#'; names are separated by whitespace or newlines. Sets PACKAGES.
PACKAGES=()
load_packages() {
    [[ -f "$PACKAGES_FILE" ]] || die "$PACKAGES_FILE is missing"
    PACKAGES=()
    local line name seen=" " words
    while IFS= read -r line || [[ -n "$line" ]]; do
        read -ra words <<<"${line%%#*}"
        for name in "${words[@]}"; do
            [[ "$name" =~ ^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$ ]] ||
                die "$PACKAGES_FILE: '$name' is not a Debian package name"
            [[ "$seen" == *" $name "* ]] && continue
            seen+="$name "
            PACKAGES+=("$name")
        done
    done <"$PACKAGES_FILE"
    ((${#PACKAGES[@]})) || die "$PACKAGES_FILE lists no packages"
}

# --- the stamp ----------------------------------------------------------------------------
stamp_inputs=(pyproject.toml "$CONSTRAINTS_FILE" "$PACKAGES_FILE" packaging/setup.sh)

wanted_stamp() {
    local f
    for f in "${stamp_inputs[@]}"; do
        [[ -f "$f" ]] || die "$f is missing"
    done
    sha256sum "${stamp_inputs[@]}" | sha256sum | cut -d' ' -f1
}

venv_works() { [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" -c '' 2>/dev/null; }

is_current() {
    [[ "$FORCE" != 1 ]] && [[ -f "$STAMP" ]] && venv_works &&
        [[ "$(cat "$STAMP")" == "$(wanted_stamp)" ]]
}

# --- step 1: Debian packages ------------------------------------------------------------
missing_packages() {
    local installed
    # Unknown names make dpkg-query exit 1; they are simply not in its output.
    installed="$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "$@" 2>/dev/null |
        awk '$2 == "installed" { print $1 }' || true)"
    local p
    for p in "$@"; do
        grep -qxF "${p%%:*}" <<<"$installed" || printf '%s\n' "$p"
    done
}

ensure_debian_packages() {
    if [[ "${IPW_SKIP_APT:-0}" == 1 ]]; then
        say "skipping Debian packages (IPW_SKIP_APT=1)"
        return
    fi
    if ! command -v dpkg-query >/dev/null 2>&1; then
        say "warning: no dpkg-query: not a Debian/Ubuntu system; install the equivalents of $PACKAGES_FILE yourself"
        return
    fi
    local -a missing
    load_packages
    mapfile -t missing < <(missing_packages "${PACKAGES[@]}")
    if ((${#missing[@]} == 0)); then
        return
    fi
    local install=(apt-get install -y --no-install-recommends "${missing[@]}")
    if [[ "$(id -u)" != 0 ]]; then
        say "missing Debian packages: ${missing[*]}"
        printf 'Run this, then run the same command again:\n\n  sudo apt-get update && sudo %s\n\n' "${install[*]}" >&2
        exit 1
    fi
    say "installing Debian packages: ${missing[*]}"
    local apt_opts=(-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0 -q)
    DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update
    DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"
    mapfile -t missing < <(missing_packages "${missing[@]}")
    ((${#missing[@]} == 0)) || die "still missing after apt-get install: ${missing[*]}"
}

# --- step 2 and 3: the venv ---------------------------------------------------------------
ensure_venv() {
    if venv_works; then
        return
    fi
    command -v "$PYTHON" >/dev/null 2>&1 || die "'$PYTHON' not found; install python3 (>= 3.11) or set PYTHON"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        die "$("$PYTHON" -V 2>&1) is too old; Python >= 3.11 is needed (set PYTHON=/path/to/python3.11)"
    local clear=()
    [[ -e "$VENV" ]] && clear=(--clear) && say "recreating the broken venv $VENV"
    say "creating $VENV with $("$PYTHON" -V 2>&1)"
    "$PYTHON" -m venv "${clear[@]}" "$VENV"
}

install_project() {
    say "installing the project and its test extras (pinned by $CONSTRAINTS_FILE)"
    # pip itself first, so that every machine resolves with the pip the lock was made with.
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q -c "$CONSTRAINTS_FILE" pip ||
        ! "$VENV/bin/python" -m pip install --disable-pip-version-check -q \
            -c "$CONSTRAINTS_FILE" -e '.[test]'; then
        say "pip install failed. If pyproject.toml changed a pin, refresh the lock: packaging/setup.sh lock"
        exit 1
    fi
}

setup() {
    if is_current; then
        return
    fi
    local started=$SECONDS
    ensure_debian_packages
    ensure_venv
    rm -f "$STAMP"
    install_project
    wanted_stamp >"$STAMP"
    say "done in $((SECONDS - started)) s"
}

# --- serialise concurrent runs in the same tree -----------------------------------------
take_lock() {
    command -v flock >/dev/null 2>&1 || return 0
    local key
    key="$(printf '%s' "$VENV" | sha256sum | cut -c1-16)"
    local file="${TMPDIR:-/tmp}/ipw-setup-$key.lock"
    # Best effort: another user's lock file may not be writable for us.
    { : >>"$file"; } 2>/dev/null || return 0
    exec 9>>"$file"
    flock 9
}
release_lock() { command -v flock >/dev/null 2>&1 && exec 9>&- || true; }

# --- commands -----------------------------------------------------------------------------
run_tests() {
    export QT_QPA_PLATFORM=offscreen
    local rc=0 lint_rc=0
    "$VENV/bin/python" -m pytest "$@" || rc=$?
    if ((rc == 5)); then
        say "error: pytest collected no tests"
    fi
    "$VENV/bin/lint-imports" --no-cache --no-logo || lint_rc=$?
    if ((rc != 0)); then
        exit "$rc"
    fi
    exit "$lint_rc"
}

lock() {
    take_lock
    ensure_venv
    say "resolving pyproject.toml afresh (no constraints)"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -e '.[test]'
    {
        printf '# Full pinned lock of the venv: what a fresh machine installs (pip install -c this file).\n'
        printf '# Generated by `packaging/setup.sh lock` (make lock) from pip freeze; do not edit by hand.\n'
        "$VENV/bin/python" -m pip freeze --disable-pip-version-check --all --exclude-editable |
            grep -v -i -e '^#' -e '^-e ' -e '^inference-procurement-workbook[= @]' \
                -e '^wheel=' -e '^distribute=' | LC_ALL=C sort -t= -k1,1f
    } >"$CONSTRAINTS_FILE.tmp"
    mv "$CONSTRAINTS_FILE.tmp" "$CONSTRAINTS_FILE"
    wanted_stamp >"$STAMP"
    say "wrote $CONSTRAINTS_FILE ($(grep -vc '^#' "$CONSTRAINTS_FILE") packages)"
}

main() {
    while [[ "${1:-}" == --* ]]; do
        case "$1" in
            --force) FORCE=1; shift ;;
            --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
            *) die "unknown option $1" ;;
        esac
    done
    local cmd="${1:-setup}"
    (($#)) && shift
    case "$cmd" in
        setup) take_lock; setup ;;
        check) is_current ;;
        packages) load_packages; printf '%s\n' "${PACKAGES[@]}" ;;
        run)
            take_lock; setup; release_lock
            if (($#)); then exec "$VENV/bin/ipw" "$@"; fi
            exec "$VENV/bin/ipw" open --sample
            ;;
        test) take_lock; setup; release_lock; run_tests "$@" ;;
        lock) lock ;;
        *) die "unknown command '$cmd' (setup, run, test, check, packages, lock; see --help)" ;;
    esac
}

main "$@"
