#!/bin/sh
# deps.sh - install the Debian 12 packages infbench builds against, if missing.
# Idempotent: does nothing when pkg-config already finds every library.
# MPI=1 (make MPI=1): also Open MPI (openmpi-bin, libopenmpi-dev), only then.
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
if [ -n "${MPI:-}" ]; then
	DEBS="$DEBS openmpi-bin libopenmpi-dev"
	{ pkg-config --exists ompi-c 2>/dev/null || command -v mpicc >/dev/null 2>&1; } &&
		command -v mpirun >/dev/null 2>&1 || missing=1
fi
[ $missing = 0 ] && exit 0
echo "deps: installing $DEBS" >&2
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends $DEBS >&2
