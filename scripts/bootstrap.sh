# Sourced by scripts/run.sh and scripts/test.sh: finds Python >= 3.12, builds .venv from
# requirements.lock and installs the dateline package into it. Safe to run again: an
# unchanged lock file installs nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "error: need root (or sudo) to run: $*" >&2; return 1; fi
}

apt_install() {
  # Installs the named Debian packages that are missing; one apt-get update per run.
  local missing=()
  # Installed means "install ok installed": dpkg -s also succeeds for a package that was
  # removed with its configuration files left behind.
  for pkg in "$@"; do
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing system packages: ${missing[*]}"
  if [ -z "${DATELINE_APT_UPDATED:-}" ]; then as_root apt-get update -qq; export DATELINE_APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

python_ok() { "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }

find_python() {
  local candidates=()
  [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
  candidates+=(python3.14 python3.13 python3.12 python3)
  # pyenv-style installs that are not on PATH as python3.1x
  for dir in /root/.pyenv/versions/3.1[2-9]* "$HOME"/.pyenv/versions/3.1[2-9]* /usr/local/bin; do
    [ -x "$dir/bin/python3" ] && candidates+=("$dir/bin/python3")
  done
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 && python_ok "$(command -v "$c")"; then
      command -v "$c"; return 0
    fi
  done
  return 1
}

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ] || ! python_ok "$VENV/bin/python"; then
    local py
    if ! py="$(find_python)"; then
      # Debian/Ubuntu with a new enough python3 but no venv module.
      command -v dpkg >/dev/null && apt_install python3 python3-venv
      py="$(find_python)" || { echo "error: Python >= 3.12 with venv is required (set PYTHON=/path/to/python3.12)" >&2; exit 1; }
    fi
    echo "==> creating $VENV with $py"
    rm -rf "$VENV"
    "$py" -m venv "$VENV"
  fi
  local stamp="$VENV/.lock-installed"
  if [ ! -f "$stamp" ] || ! cmp -s "$ROOT/requirements.lock" "$stamp"; then
    echo "==> installing locked dependencies"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements.lock"
    cp "$ROOT/requirements.lock" "$stamp"
  fi
  # The package itself, editable, again only when this checkout or its pyproject.toml changed:
  # building it needs setuptools, which may have to come from the network, and a restart with
  # nothing changed must work offline.
  local editable="$VENV/.editable-installed" want
  want="$ROOT $(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
  if [ ! -f "$editable" ] || [ "$(cat "$editable")" != "$want" ]; then
    "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$ROOT" 2>/dev/null \
      || "$VENV/bin/python" -m pip install -q --no-deps -e "$ROOT"
    echo "$want" > "$editable"
  fi
  export PATH="$VENV/bin:$PATH"
}
