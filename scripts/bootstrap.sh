# Sourced by scripts/run and scripts/test: a virtual environment and the system packages.
# Usage: . scripts/bootstrap.sh [run|test]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PURPOSE="${1:-run}"

need_pkgs=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# WeasyPrint (reports) needs Pango; reports in Chinese need a CJK font.
for p in libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk; do have_pkg "$p" || need_pkgs+=("$p"); done
if [ "$PURPOSE" = test ]; then
  # browser tests drive Debian's Chromium; PDF checks use poppler's pdftotext/pdffonts; the
  # interop tests run Go's own transparency-log code (golang.org/x/mod/sumdb) against ours;
  # tests/test_front_cache.py runs Debian's nginx with deploy/nginx.conf (benchmarks/surge.py too,
  # with wrk as its load generator).
  for p in chromium poppler-utils golang-go golang-golang-x-mod-dev nginx wrk; do have_pkg "$p" || need_pkgs+=("$p"); done
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing system packages: ${need_pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "missing system packages: ${need_pkgs[*]}" >&2
    echo "install them with: sudo apt-get install ${need_pkgs[*]}" >&2
    exit 1
  fi
fi

PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
  # missing, or left half made by an interrupted run (no pip): make it afresh
  echo "creating virtual environment in $VENV"
  "$PY" -m venv --clear "$VENV"
  rm -f "$VENV"/.installed-*
fi
stamp="$VENV/.installed-$PURPOSE"
if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  if [ "$PURPOSE" = test ]; then
    "$VENV/bin/python" -m pip install -q -e "$ROOT[test]"
  else
    "$VENV/bin/python" -m pip install -q -e "$ROOT"
  fi
  touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"
