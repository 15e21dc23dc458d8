#!/usr/bin/env sh
# Install the one-folder build (dist/ecgws) for the current user: the app under
# ~/.local/opt/ecgws, a launcher in ~/.local/bin, the desktop entry and its icon.
#   sh packaging/linux/install.sh            (after `make app`)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dist="$root/dist/ecgws"
[ -x "$dist/ecgws" ] || { echo "error: $dist/ecgws: not built (run make app)" >&2; exit 2; }
prefix="${XDG_DATA_HOME:-$HOME/.local/share}"
mkdir -p "$HOME/.local/opt" "$HOME/.local/bin" "$prefix/applications" "$prefix/icons/hicolor/256x256/apps"
rm -rf "$HOME/.local/opt/ecgws"
cp -R "$dist" "$HOME/.local/opt/ecgws"
ln -sf "$HOME/.local/opt/ecgws/ecgws" "$HOME/.local/bin/ecgws"
cp "$root/packaging/icons/ecgws.png" "$prefix/icons/hicolor/256x256/apps/ecgws.png"
sed "s|^Exec=ecgws|Exec=$HOME/.local/opt/ecgws/ecgws|; s|^TryExec=ecgws|TryExec=$HOME/.local/opt/ecgws/ecgws|" \
    "$here/ecgws.desktop" > "$prefix/applications/ecgws.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$prefix/applications" || true
echo "installed: $HOME/.local/opt/ecgws (launcher ecgws, menu entry 'ECG Workstation')"
