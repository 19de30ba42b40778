#!/usr/bin/env bash
# Installs the Inference Procurement Workbook bundle for the current user: no root, nothing outside
# your home folder (~/.local and the XDG folders).
#
#   ./install.sh                     from an unpacked bundle (ipw-<version>/install.sh)
#   packaging/install.sh             from a checkout, after `make bundle` (uses dist/ipw/)
#   install.sh --bundle PATH         a bundle folder or an ipw-<version>-linux-<arch>.tar.gz
#   install.sh --prefix DIR          instead of ~/.local (the bundle goes to DIR/lib/..., launchers to DIR/bin)
#
# What goes where (XDG_DATA_HOME defaults to ~/.local/share, XDG_CONFIG_HOME to ~/.config):
#   PREFIX/lib/inference-procurement-workbook/   the bundle (replaced as a whole on reinstall)
#   PREFIX/bin/ipw                               the command line (a link into the bundle)
#   PREFIX/bin/procurement-workbook              the GUI launcher (runs `ipw open FILE`)
#   XDG_DATA_HOME/applications/io.ipw.ProcurementWorkbook.desktop
#   XDG_DATA_HOME/metainfo/io.ipw.ProcurementWorkbook.metainfo.xml
#   XDG_DATA_HOME/mime/packages/io.ipw.ProcurementWorkbook.xml      (*.ipwb -> application/x-ipw-workbook)
#   XDG_DATA_HOME/icons/hicolor/{16x16..512x512,scalable}/apps/io.ipw.ProcurementWorkbook.{png,svg}
#   XDG_CONFIG_HOME/mimeapps.list                 .ipwb files open with the app by default
# then update-mime-database and update-desktop-database, when they are installed.
# uninstall.sh (also copied into the installed bundle) removes all of it; your workbooks, settings and
# signing keys are never touched.
set -euo pipefail

APP_ID="io.ipw.ProcurementWorkbook"
MIME_TYPE="application/x-ipw-workbook"
DIR_NAME="inference-procurement-workbook"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }

BUNDLE_ARG=""
PREFIX="${HOME:?HOME is not set}/.local"
while (($#)); do
    case "$1" in
        --bundle) BUNDLE_ARG="${2:?--bundle needs a path}"; shift 2 ;;
        --prefix) PREFIX="${2:?--prefix needs a folder}"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ "$(id -u)" != 0 || -n "${IPW_INSTALL_AS_ROOT:-}" ]] ||
    say "note: running as root installs for root only (this script is meant for a normal user)"

DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
CONFIG_HOME="${XDG_CONFIG_HOME:-$HOME/.config}"
BIN_DIR="$PREFIX/bin"
LIB_DIR="$PREFIX/lib/$DIR_NAME"

# --- find the bundle and the desktop-integration files -------------------------------------------
CLEANUP=()
cleanup() { local p; for p in "${CLEANUP[@]}"; do rm -rf -- "$p"; done; }
trap cleanup EXIT

is_bundle() { [[ -x "$1/ipw" && -d "$1/_internal" ]]; }

if [[ -n "$BUNDLE_ARG" ]]; then
    if [[ -f "$BUNDLE_ARG" ]]; then
        unpack="$(mktemp -d)"
        CLEANUP+=("$unpack")
        tar -xzf "$BUNDLE_ARG" -C "$unpack" || die "cannot unpack $BUNDLE_ARG"
        BUNDLE="$(find "$unpack" -mindepth 1 -maxdepth 1 -type d | head -n1)"
    else
        BUNDLE="$(cd "$BUNDLE_ARG" && pwd)"
    fi
elif is_bundle "$HERE"; then
    BUNDLE="$HERE"
elif is_bundle "$HERE/../dist/ipw"; then
    BUNDLE="$(cd "$HERE/../dist/ipw" && pwd)"
else
    die "no bundle found: run 'make bundle' first, or pass --bundle PATH"
fi
is_bundle "$BUNDLE" || die "$BUNDLE is not a bundle (no executable ipw and _internal/ in it)"

if [[ -f "$BUNDLE/share/$APP_ID.desktop" ]]; then
    SHARE="$BUNDLE/share"
elif [[ -f "$HERE/linux/$APP_ID.desktop" ]]; then
    SHARE="$HERE/linux"
else
    die "the desktop-integration files are missing (share/ in the bundle, or packaging/linux/)"
fi

# --- refuse a system older than the one the bundle was built on -----------------------------------
version_lt() { [[ "$1" != "$2" && "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" == "$1" ]]; }
if [[ -f "$BUNDLE/BUILD-INFO.json" ]]; then
    needed="$(sed -n 's/.*"glibcBuiltWith": *"\([0-9.]*\)".*/\1/p' "$BUNDLE/BUILD-INFO.json")"
    have="$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}' || true)"
    if [[ -n "$needed" && -n "$have" ]] && version_lt "$have" "$needed"; then
        die "this bundle needs glibc $needed or newer; this system has $have (build it on an older system)"
    fi
fi

# --- the bundle and the launchers ----------------------------------------------------------------
mkdir -p "$BIN_DIR" "$(dirname "$LIB_DIR")"
if [[ "$BUNDLE" != "$LIB_DIR" ]]; then
    staging="$LIB_DIR.new.$$"
    CLEANUP+=("$staging")
    rm -rf -- "$staging"
    cp -a "$BUNDLE" "$staging"
    [[ -f "$staging/uninstall.sh" ]] || cp "$HERE/uninstall.sh" "$staging/uninstall.sh"
    rm -rf -- "$LIB_DIR"
    mv "$staging" "$LIB_DIR"
fi
say "installed the bundle in $LIB_DIR"

# A path for a shell script, in single quotes.
sh_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
# A path for a .desktop Exec= line (desktop entry spec: quote when needed, then escape backslashes).
desktop_quote() {
    if [[ "$1" =~ ^[A-Za-z0-9/._+-]+$ ]]; then
        printf '%s' "$1"
    else
        local q
        q="$(printf '%s' "$1" | sed -e 's/[\\"`$]/\\&/g')"
        printf '"%s"' "$(printf '%s' "$q" | sed -e 's/\\/\\\\/g')"
    fi
}

ln -sfn "$LIB_DIR/ipw" "$BIN_DIR/ipw"
LAUNCHER="$BIN_DIR/procurement-workbook"
cat >"$LAUNCHER.tmp" <<EOF
#!/bin/sh
# Inference Procurement Workbook: the GUI (installed by install.sh; uninstall.sh removes it).
exec $(sh_quote "$LIB_DIR/ipw") open "\$@"
EOF
chmod 755 "$LAUNCHER.tmp"
mv "$LAUNCHER.tmp" "$LAUNCHER"

# --- desktop entry, AppStream metadata, MIME type, icons ---------------------------------------------
APPS="$DATA_HOME/applications"
MIME_DIR="$DATA_HOME/mime"
METAINFO="$DATA_HOME/metainfo"
ICONS="$DATA_HOME/icons/hicolor"
mkdir -p "$APPS" "$MIME_DIR/packages" "$METAINFO" "$ICONS/scalable/apps"

# Exec= and TryExec= name the launcher by its full path: ~/.local/bin is not always on a session's PATH.
IPW_EXEC="$(desktop_quote "$LAUNCHER")" IPW_TRYEXEC="$(printf '%s' "$LAUNCHER" | sed 's/\\/\\\\/g')" awk '
    /^Exec=/ { print "Exec=" ENVIRON["IPW_EXEC"] " %f"; print "TryExec=" ENVIRON["IPW_TRYEXEC"]; next }
    /^TryExec=/ { next }
    { print }
' "$SHARE/$APP_ID.desktop" >"$APPS/$APP_ID.desktop"
chmod 644 "$APPS/$APP_ID.desktop"
install -m 644 "$SHARE/$APP_ID.metainfo.xml" "$METAINFO/$APP_ID.metainfo.xml"
install -m 644 "$SHARE/$APP_ID.mime.xml" "$MIME_DIR/packages/$APP_ID.xml"
install -m 644 "$SHARE/procurement-workbook.svg" "$ICONS/scalable/apps/$APP_ID.svg"
for png in "$SHARE"/icons/procurement-workbook-*.png; do
    size="${png##*-}"
    size="${size%.png}"
    mkdir -p "$ICONS/${size}x${size}/apps"
    install -m 644 "$png" "$ICONS/${size}x${size}/apps/$APP_ID.png"
done
touch "$ICONS" 2>/dev/null || true # icon themes notice new icons by the folder's time

# .ipwb opens with the app by default: [Default Applications] and [Added Associations] in mimeapps.list
set_mimeapps_key() { # FILE SECTION KEY VALUE
    local file="$1" section="$2" key="$3" value="$4"
    mkdir -p "$(dirname "$file")"
    [[ -f "$file" ]] || : >"$file"
    awk -v sec="[$section]" -v key="$key" -v val="$value" '
        BEGIN { insec = 0; done = 0 }
        /^\[.*\][ \t]*$/ {
            if (insec && !done) { print key "=" val; done = 1 }
            insec = ($0 == sec); print; next
        }
        insec && index($0, key "=") == 1 { if (!done) { print key "=" val; done = 1 } next }
        { print }
        END { if (!done) { if (!insec) { if (NR > 0) print ""; print sec } print key "=" val } }
    ' "$file" >"$file.tmp.$$"
    mv "$file.tmp.$$" "$file"
}
set_mimeapps_key "$CONFIG_HOME/mimeapps.list" "Default Applications" "$MIME_TYPE" "$APP_ID.desktop;"
set_mimeapps_key "$CONFIG_HOME/mimeapps.list" "Added Associations" "$MIME_TYPE" "$APP_ID.desktop;"

if command -v update-mime-database >/dev/null 2>&1; then
    update-mime-database "$MIME_DIR" >/dev/null || say "warning: update-mime-database failed"
else
    say "note: update-mime-database not found (package shared-mime-info): .ipwb is recognised after it runs"
fi
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$APPS" || say "warning: update-desktop-database failed"
fi

# --- the record uninstall.sh reads, and a last check --------------------------------------------------
{
    printf '%s\n' "$BIN_DIR/ipw" "$LAUNCHER" "$APPS/$APP_ID.desktop" "$METAINFO/$APP_ID.metainfo.xml" \
        "$MIME_DIR/packages/$APP_ID.xml" "$ICONS/scalable/apps/$APP_ID.svg"
    find "$ICONS" -path "*/apps/$APP_ID.png" -type f
    printf 'mimeapps=%s\n' "$CONFIG_HOME/mimeapps.list"
    printf 'mime-dir=%s\n' "$MIME_DIR"
    printf 'apps-dir=%s\n' "$APPS"
} >"$LIB_DIR/INSTALLED-FILES"

if ! "$LIB_DIR/ipw" --version >/dev/null 2>&1; then
    die "the installed app does not start: run $LIB_DIR/ipw --version to see why"
fi
say "installed $("$LIB_DIR/ipw" --version 2>/dev/null | head -n1)"
say "  command line: $BIN_DIR/ipw    GUI: $LAUNCHER    menu: Inference Procurement Workbook"
case ":${PATH:-}:" in
    *":$BIN_DIR:"*) ;;
    *) say "note: $BIN_DIR is not on your PATH; add it, or run $BIN_DIR/ipw with its full path" ;;
esac
say "to uninstall: $LIB_DIR/uninstall.sh"
