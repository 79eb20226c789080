#!/bin/sh
# deps.sh: installs the Debian packages attnlab needs that are missing, then returns.
# usage: scripts/deps.sh build|test   (test adds what the test suite uses)
set -eu
need="pkg-config libsdl2-dev libsdl2-ttf-dev libstb-dev libfontconfig-dev libmd4c-dev libfftw3-dev fonts-dejavu-core fonts-wqy-microhei"
if [ "${1:-build}" = test ]; then
    need="$need libcjson-dev python3 python3-numpy xvfb imagemagick"
fi
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
command -v cc >/dev/null 2>&1 || missing="$missing gcc libc6-dev"
command -v make >/dev/null 2>&1 || missing="$missing make"
[ -z "$missing" ] && exit 0
echo "attnlab: installing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
