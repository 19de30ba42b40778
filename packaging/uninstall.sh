#!/usr/bin/env bash
# Removes what packaging/install.sh installed for the current user: the bundle, the launchers, the
# desktop entry, the AppStream metadata, the MIME type, the icons and the .ipwb association.
#
#   ~/.local/lib/inference-procurement-workbook/uninstall.sh    (the installed copy)
#   packaging/uninstall.sh [--prefix DIR]                        (DIR as given to install.sh; default ~/.local)
#
# Your workbooks, settings and signing keys (~/.local/share/inference-procurement-workbook,
# ~/.config/inference-procurement-workbook) are NOT removed: delete them yourself if you mean to.
set -euo pipefail

APP_ID="io.ipw.ProcurementWorkbook"
MIME_TYPE="application/x-ipw-workbook"
DIR_NAME="inference-procurement-workbook"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

say() { printf 'uninstall: %s\n' "$*"; }
die() { printf 'uninstall: error: %s\n' "$*" >&2; exit 1; }

PREFIX=""
while (($#)); do
    case "$1" in
        --prefix) PREFIX="${2:?--prefix needs a folder}"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
if [[ -z "$PREFIX" ]]; then
    # the installed copy lives in PREFIX/lib/inference-procurement-workbook/
    if [[ "$(basename "$HERE")" == "$DIR_NAME" && -f "$HERE/INSTALLED-FILES" ]]; then
        PREFIX="$(cd "$HERE/../.." && pwd)"
    else
        PREFIX="${HOME:?HOME is not set}/.local"
    fi
fi

DATA_HOME="${XDG_DATA_HOME:-$HOME/.local/share}"
CONFIG_HOME="${XDG_CONFIG_HOME:-$HOME/.config}"
LIB_DIR="$PREFIX/lib/$DIR_NAME"
MANIFEST="$LIB_DIR/INSTALLED-FILES"

# What install.sh recorded, else where it puts things by default.
FILES=()
MIMEAPPS="$CONFIG_HOME/mimeapps.list"
MIME_DIR="$DATA_HOME/mime"
APPS="$DATA_HOME/applications"
if [[ -f "$MANIFEST" ]]; then
    while IFS= read -r line; do
        case "$line" in
            mimeapps=*) MIMEAPPS="${line#mimeapps=}" ;;
            mime-dir=*) MIME_DIR="${line#mime-dir=}" ;;
            apps-dir=*) APPS="${line#apps-dir=}" ;;
            /*) FILES+=("$line") ;;
        esac
    done <"$MANIFEST"
fi
FILES+=("$PREFIX/bin/ipw" "$PREFIX/bin/procurement-workbook" "$APPS/$APP_ID.desktop"
    "$DATA_HOME/metainfo/$APP_ID.metainfo.xml" "$MIME_DIR/packages/$APP_ID.xml")
for icon in "$DATA_HOME"/icons/hicolor/*/apps/"$APP_ID".png "$DATA_HOME"/icons/hicolor/*/apps/"$APP_ID".svg; do
    [[ -e "$icon" ]] && FILES+=("$icon")
done

removed=0
for file in "${FILES[@]}"; do
    # only our own files: the launchers must point into the bundle folder
    if [[ "$file" == */bin/ipw || "$file" == */bin/procurement-workbook ]]; then
        if [[ -L "$file" ]]; then
            [[ "$(readlink "$file")" == "$LIB_DIR/"* ]] || continue
        elif [[ -f "$file" ]]; then
            grep -q "$DIR_NAME" "$file" 2>/dev/null || continue
        fi
    fi
    if [[ -e "$file" || -L "$file" ]]; then
        rm -f -- "$file"
        removed=$((removed + 1))
    fi
done

# Drop our desktop id from the .ipwb entries of mimeapps.list; keep everything else as it was.
if [[ -f "$MIMEAPPS" ]]; then
    awk -v key="$MIME_TYPE" -v id="$APP_ID.desktop" '
        index($0, key "=") == 1 {
            n = split(substr($0, length(key) + 2), parts, ";"); out = ""
            for (i = 1; i <= n; i++) if (parts[i] != "" && parts[i] != id) out = out parts[i] ";"
            if (out != "") print key "=" out
            next
        }
        { print }
    ' "$MIMEAPPS" >"$MIMEAPPS.tmp.$$"
    mv "$MIMEAPPS.tmp.$$" "$MIMEAPPS"
fi

if [[ -d "$LIB_DIR" ]]; then
    rm -rf -- "$LIB_DIR"
    removed=$((removed + 1))
fi
for dir in "$DATA_HOME"/icons/hicolor/*/apps; do # the size folders install.sh made, when now empty
    { rmdir "$dir" && rmdir "$(dirname "$dir")"; } 2>/dev/null || true
done
rmdir "$DATA_HOME/metainfo" 2>/dev/null || true
touch "$DATA_HOME/icons/hicolor" 2>/dev/null || true
# The user's MIME database is generated from mime/packages/; when ours was the only package, the
# generated files go too (update-mime-database would otherwise leave an empty database behind).
if [[ -d "$MIME_DIR/packages" ]] && rmdir "$MIME_DIR/packages" 2>/dev/null; then
    (cd "$MIME_DIR" && rm -rf -- XMLnamespaces aliases generic-icons globs globs2 icons magic mime.cache \
        subclasses treemagic types version application) || true
    rmdir "$MIME_DIR" 2>/dev/null || true
elif command -v update-mime-database >/dev/null 2>&1 && [[ -d "$MIME_DIR/packages" ]]; then
    update-mime-database "$MIME_DIR" >/dev/null || say "warning: update-mime-database failed"
fi
if [[ -d "$APPS" ]] && ! compgen -G "$APPS/*.desktop" >/dev/null && ! compgen -G "$APPS/*/*.desktop" >/dev/null; then
    rm -f -- "$APPS/mimeinfo.cache"
elif command -v update-desktop-database >/dev/null 2>&1 && [[ -d "$APPS" ]]; then
    update-desktop-database -q "$APPS" || say "warning: update-desktop-database failed"
fi

if ((removed == 0)); then
    say "nothing to remove: the app is not installed under $PREFIX"
else
    say "removed the Inference Procurement Workbook from $PREFIX and $DATA_HOME"
fi
say "kept your workbooks, settings and signing keys (${XDG_DATA_HOME:-~/.local/share}/$DIR_NAME,"
say "  ${XDG_CONFIG_HOME:-~/.config}/$DIR_NAME); delete them yourself if you no longer need them"
