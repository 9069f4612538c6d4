#!/usr/bin/env bash
# Copyright (c) ConvViz contributors. Licensed under the MIT License.
#
# Runs a command where TorchSharp's native libraries can load.
#
#   eng/run-with-libtorch.sh <command> [args...]
#
# TorchSharp 0.107.0 needs libstdc++ from GCC 13+ (symbol version GLIBCXX_3.4.32). On hosts that have it
# (Ubuntu 24.04+, Debian 13+, Fedora 39+, ...) the command runs as-is. On older Linux hosts (Debian 12,
# Ubuntu 22.04) the command runs inside a cached Debian 13 ("trixie") root file system with private bind
# mounts of the repository, /tmp, the host's .NET SDK and NuGet cache. Paths are the same inside and
# outside, so the command sees the same working directory. The mounts vanish when the command ends.
#
# Environment:
#   CONVVIZ_ROOTFS_DIR      where the cached root lives      (default: /var/cache/convviz/debian13-rootfs)
#   CONVVIZ_DEBIAN_MIRROR   mirror for debootstrap            (default: http://deb.debian.org/debian)
#   CONVVIZ_FORCE_ROOTFS=1  use the Debian 13 root even if the host's libstdc++ is new enough
#   CONVVIZ_EXTRA_BINDS     colon-separated extra host directories to bind at the same path (the repository, /tmp,
#                           the working directory and every existing path given as an argument are bound already)
#   CI, CONVVIZ_UPDATE_GOLDEN, CONVVIZ_GC_STRESS, CONVVIZ_ONNX_EXPORT_DIR, CONVVIZ_INVESALIUS   passed into the Debian 13 root (which starts from an empty environment)
#
# The command replaces the runner (exec), so its exit code or signal is the runner's own.
set -euo pipefail

die() { echo "run-with-libtorch: $*" >&2; exit 2; }

[ $# -ge 1 ] || die "usage: eng/run-with-libtorch.sh <command> [args...]"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
ROOTFS="${CONVVIZ_ROOTFS_DIR:-/var/cache/convviz/debian13-rootfs}"
MIRROR="${CONVVIZ_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
NEEDED_SYMBOL="GLIBCXX_3.4.32"

host_has_new_libstdcxx() {
  [ "$(uname -s)" = "Linux" ] || return 0   # Windows/macOS: nothing to do
  local lib
  lib="$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64|libstdc\+\+\.so\.6 .*AArch64/ {print $NF; exit}')"
  [ -n "$lib" ] || lib="$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6/ {print $NF; exit}')"
  [ -n "$lib" ] && [ -r "$lib" ] || return 1
  grep -q -a "$NEEDED_SYMBOL" "$lib"
}

if [ "${CONVVIZ_FORCE_ROOTFS:-0}" != "1" ] && host_has_new_libstdcxx; then
  exec "$@"
fi

# ---- Debian 13 root needed from here on ----------------------------------------------------------
[ "$(id -u)" = "0" ] || die "this host's libstdc++ lacks $NEEDED_SYMBOL (TorchSharp needs GCC 13+).
Running inside a Debian 13 root needs root privileges (chroot, mount). Re-run as root (sudo), or use a host
with a newer libstdc++ (Ubuntu 24.04+, Debian 13+, Fedora 39+), a container, Windows or macOS."

DOTNET_BIN="$(command -v dotnet || true)"
[ -n "$DOTNET_BIN" ] || die "dotnet is not on PATH; install the .NET 10 SDK first."
DOTNET_ROOT_DIR="$(dirname "$(readlink -f "$DOTNET_BIN")")"
NUGET_DIR="${NUGET_PACKAGES_DIR:-$HOME/.nuget}"
mkdir -p "$NUGET_DIR"

build_rootfs() {
  command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing: install it (apt-get install -y debootstrap)
and re-run. It builds the cached Debian 13 root once (about 25 s)."
  local parent tmp
  parent="$(dirname "$ROOTFS")"
  mkdir -p "$parent"
  tmp="$(mktemp -d "$parent/.rootfs-build.XXXXXX")"
  echo "run-with-libtorch: building the Debian 13 root in $ROOTFS (once; about 25 s)..." >&2
  if ! debootstrap --variant=minbase --include=libicu76,libssl3t64,zlib1g,ca-certificates \
        trixie "$tmp" "$MIRROR" >"$tmp.log" 2>&1; then
    tail -n 20 "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "debootstrap failed (log above)."
  fi
  rm -f "$tmp.log"
  touch "$tmp/.convviz-rootfs-complete"
  # Atomic publish: a concurrent builder that lost the race just discards its copy.
  if ! mv -T "$tmp" "$ROOTFS" 2>/dev/null; then
    rm -rf "$tmp"
  fi
}

if [ ! -f "$ROOTFS/.convviz-rootfs-complete" ]; then
  build_rootfs
fi
[ -f "$ROOTFS/.convviz-rootfs-complete" ] || die "the root in $ROOTFS is incomplete; delete it and re-run."

BINDS=("$REPO" "/tmp")
if [ -n "${CONVVIZ_EXTRA_BINDS:-}" ]; then
  IFS=: read -r -a extra <<<"$CONVVIZ_EXTRA_BINDS"
  BINDS+=("${extra[@]}")
fi

# The user's own folders are visible inside too: the working directory, and every argument (or --option=value) that
# names an existing file or folder (a file's folder is bound). System folders are never bound over the Debian 13 root's.
bind_if_user_path() {
  local p
  p="$(readlink -f -- "$1" 2>/dev/null)" || return 0
  [ -e "$p" ] || return 0
  [ -d "$p" ] || p="$(dirname "$p")"
  case "$p" in
    /|/usr|/usr/*|/bin|/bin/*|/sbin|/sbin/*|/lib|/lib/*|/lib32|/lib32/*|/lib64|/lib64/*|/etc|/etc/*|/proc|/proc/*|\
    /sys|/sys/*|/dev|/dev/*|/run|/run/*|/boot|/boot/*|/var/cache/convviz|/var/cache/convviz/*) return 0 ;;
  esac
  BINDS+=("$p")
}
bind_if_user_path "$(pwd -P)"
for arg in "$@"; do
  case "$arg" in
    --*=*) bind_if_user_path "${arg#*=}" ;;
    -*) ;;
    *) bind_if_user_path "$arg" ;;
  esac
done

# Quote the command and working directory for the inner shell.
CMD="$(printf '%q ' "$@")"
WORKDIR="$(pwd -P)"

export ROOTFS DOTNET_ROOT_DIR NUGET_DIR CMD WORKDIR
export BIND_LIST="$(printf '%s\n' "${BINDS[@]}")"

# exec: the command's own exit status (or signal) is the runner's, and nothing of this script is printed if it crashes.
exec unshare --mount --propagation private bash -c '
  set -e
  while IFS= read -r d; do
    [ -n "$d" ] && [ -d "$d" ] || continue
    mkdir -p "$ROOTFS$d"
    mount --bind "$d" "$ROOTFS$d"
  done <<<"$BIND_LIST"
  mkdir -p "$ROOTFS/usr/share/dotnet" "$ROOTFS/root/.nuget" "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/etc/ssl/certs"
  mount --bind "$DOTNET_ROOT_DIR" "$ROOTFS/usr/share/dotnet"
  mount --bind "$NUGET_DIR" "$ROOTFS/root/.nuget"
  mount -t proc proc "$ROOTFS/proc"
  mount --rbind /dev "$ROOTFS/dev"
  mount --bind /etc/ssl/certs "$ROOTFS/etc/ssl/certs"
  cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf" 2>/dev/null || true
  exec chroot "$ROOTFS" /usr/bin/env -i HOME=/root PATH=/usr/share/dotnet:/usr/local/bin:/usr/bin:/bin \
      TERM="${TERM:-dumb}" LANG=C.UTF-8 DOTNET_ROOT=/usr/share/dotnet \
      DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
      NUGET_CERT_REVOCATION_MODE=offline CI="${CI:-}" CONVVIZ_UPDATE_GOLDEN="${CONVVIZ_UPDATE_GOLDEN:-}" CONVVIZ_GC_STRESS="${CONVVIZ_GC_STRESS:-}" \
      CONVVIZ_ONNX_EXPORT_DIR="${CONVVIZ_ONNX_EXPORT_DIR:-}" CONVVIZ_INVESALIUS="${CONVVIZ_INVESALIUS:-}" \
      MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false \
      bash -c "cd \"\$0\" && exec $CMD" "$WORKDIR"
'
