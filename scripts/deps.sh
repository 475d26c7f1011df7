#!/bin/sh
# deps.sh - install the Debian 12 packages infbench builds against, if missing.
# Idempotent: does nothing when pkg-config already finds every library.
set -e
PKGS="libcurl jansson yaml-0.1 libpcre2-8 libutf8proc"
DEBS="pkg-config libcurl4-openssl-dev libjansson-dev libyaml-dev libpcre2-dev libutf8proc-dev jq"
missing=0
command -v pkg-config >/dev/null 2>&1 || missing=1
if [ $missing = 0 ]; then
	for p in $PKGS; do
		pkg-config --exists "$p" || { missing=1; break; }
	done
fi
command -v jq >/dev/null 2>&1 || missing=1  # integration tests read JSON
command -v cc >/dev/null 2>&1 || { missing=1; DEBS="$DEBS gcc make"; }
[ $missing = 0 ] && exit 0
echo "deps: installing $DEBS" >&2
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends $DEBS >&2
