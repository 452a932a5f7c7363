# Shared shell helpers for mailroom.server's scripts. Sourced, never run.
# shellcheck shell=bash

MAILROOM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MAILROOM_CACHE=${MAILROOM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mailroom-server}
export MAILROOM_ROOT MAILROOM_CACHE

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# apt-get, one at a time: scripts/test builds the test images (scripts/testhost, which installs
# Docker and debootstrap) in the background while its first stages install what they need, and a
# second apt-get would fail on the first one's lock instead of waiting.
apt_get() {
    mkdir -p "$MAILROOM_CACHE"
    flock "$MAILROOM_CACHE/apt.lock" apt-get "$@"
}

# Debian's packages are installed on demand: CI and new machines start without them.
apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
    log "installing Debian packages: ${missing[*]}"
    apt_get update -qq
    DEBIAN_FRONTEND=noninteractive apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# A Debian package's files, unpacked into the cache (never installed: no service starts, nothing
# in /etc or /usr changes); prints the directory. For tests that run a daemon's own code, such as
# fail2ban's filter engine on the guard role's filter.
unpack_debian_package() {
    local pkg=$1 version dir deb
    version=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [ -z "$version" ] || [ "$version" = "(none)" ]; then
        apt_get update -qq
        version=$(apt-cache policy "$pkg" | awk '/Candidate:/ {print $2}')
    fi
    if [ -z "$version" ] || [ "$version" = "(none)" ]; then die "Debian has no package $pkg"; fi
    dir="$MAILROOM_CACHE/unpacked/$pkg-$version"
    if [ ! -f "$dir/.complete" ]; then
        rm -rf "$dir" && mkdir -p "$dir/root"
        # apt's sandbox user cannot write into a root-only cache; the download is checked all the same.
        (cd "$dir" && apt_get download -q "$pkg=$version" >/dev/null 2>&1) || die "cannot download $pkg $version"
        deb=$(ls "$dir"/*.deb)
        dpkg-deb -x "$deb" "$dir/root" && rm -f "$deb" && touch "$dir/.complete"
    fi
    printf '%s\n' "$dir/root"
}

# The toolchain venv lives in the cache, keyed by the requirements file, so fresh clones reuse it.
# It counts only once marked complete after pip succeeded, so an interrupted build is redone; a
# lock keeps two runs (demo and tests, say) from building it at once.
ensure_venv() {
    local req="$MAILROOM_ROOT/requirements-test.txt" key venv
    key=$(sha256sum "$req" | cut -c1-12)
    venv="$MAILROOM_CACHE/venv-$key"
    mkdir -p "$MAILROOM_CACHE"
    exec 9>"$MAILROOM_CACHE/venv.lock"
    flock 9
    if [ ! -f "$venv/.complete" ]; then
        log "creating toolchain venv $venv"
        # Debian's own python3 ships venv (and ensurepip) separately.
        python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
        # Built in place under its final name (venvs hard-code their path), marked complete last.
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --upgrade pip >/dev/null
        "$venv/bin/pip" install -q -r "$req"
        touch "$venv/.complete"
    fi
    flock -u 9
    export PATH="$venv/bin:$PATH" VIRTUAL_ENV="$venv"
}

# The collection must be importable as mailroom.server: link the checkout into a collections tree.
# One tree per checkout, so that a run from one clone (CI's, say) never switches under another's.
ensure_collection_path() {
    local tree
    tree="$MAILROOM_CACHE/collections/$(printf '%s' "$MAILROOM_ROOT" | sha256sum | cut -c1-12)"
    mkdir -p "$tree/ansible_collections/mailroom"
    ln -sfn "$MAILROOM_ROOT" "$tree/ansible_collections/mailroom/server"
    export ANSIBLE_COLLECTIONS_PATH="$tree"
}
