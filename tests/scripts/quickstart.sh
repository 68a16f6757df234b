#!/usr/bin/env bash
# The README's two quick-start commands:
#   bash tests/scripts/quickstart.sh demo   install what is missing, build, run the demo
#   bash tests/scripts/quickstart.sh test   install what is missing, build, run every test
# .ci/run calls the second one. Works as root on a fresh Debian 12 machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
MODE="${1:-}"
JOBS="${REEL_JOBS:-2}"

# Debian packages the build, the tests and the real peers need.
PACKAGES=(build-essential cmake pkg-config clang libclang-rt-14-dev
          libpcap-dev nlohmann-json3-dev libgtest-dev libcli11-dev
          redis-server redis-tools python3-redis tcpdump tshark jq procps
          chromium)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The redis-server package may start a system instance on 6379; our tests
  # use their own ephemeral ports and do not need it.
}

build() {  # build DIR [cmake args...]
  local dir="$1"; shift
  cmake -S "$ROOT" -B "$dir" -DREEL_WERROR=ON "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j"$JOBS" 2>&1 | grep -vE '^\[ *[0-9]+%\]|^(Consolidate|Scanning|Built target)' || true
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "build failed in $dir"; exit 1; }
}

case "$MODE" in
  demo)
    install_missing
    mkdir -p build
    build build
    exec bash "$ROOT/tests/scripts/demo.sh" "$ROOT/build"
    ;;
  test)
    install_missing
    mkdir -p build build-asan build-fuzz
    exec bash "$ROOT/tests/scripts/run_all_tests.sh" "$ROOT"
    ;;
  *)
    echo "usage: $0 demo|test" >&2
    exit 2
    ;;
esac
