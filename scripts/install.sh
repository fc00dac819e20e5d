#!/usr/bin/env bash
# Installs everything the gate needs into ./.venv (Python 3.11), without compiling dlib.
#
# face_recognition's metadata names the `dlib` sdist (a 15-minute source build);
# `dlib-bin` ships the same module prebuilt, so face_recognition goes in with --no-deps.
# face_recognition_models is a 100 MB sdist rebuilt on every cold install: its wheel
# is built once into a cache folder and reused.
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin=${GATE_PYTHON:-$(command -v python3.11 || command -v python3)}
wheel_cache=${GATE_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gate-wheels}
quiet=(-q --disable-pip-version-check)

# Headless Chromium for the console's browser tests, and a CJK font so Chinese renders
# (Debian packages; Playwright drives /usr/bin/chromium, it never downloads a browser).
apt_packages=()
[ -x /usr/bin/chromium ] || apt_packages+=(chromium chromium-driver)
fc-list :lang=zh 2>/dev/null | grep -q . || apt_packages+=(fonts-wqy-microhei)
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}"
  else
    echo "note: install ${apt_packages[*]} (sudo apt-get install) for the browser tests" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$python_bin" -m venv .venv
fi
pip() { .venv/bin/python -m pip "${quiet[@]}" "$@" 2> >(grep -v "^WARNING: Location" >&2); }

pip install -U pip "setuptools<81" wheel
mkdir -p "$wheel_cache"
if ! ls "$wheel_cache"/face_recognition_models-0.3.0-*.whl >/dev/null 2>&1 \
   || ! ls "$wheel_cache"/face_recognition-1.3.0-*.whl >/dev/null 2>&1; then
  pip wheel --no-deps -w "$wheel_cache" face-recognition-models==0.3.0 face-recognition==1.3.0
fi
pip install dlib-bin click numpy pillow "setuptools<81"
pip install --no-deps "$wheel_cache"/face_recognition_models-0.3.0-*.whl \
  "$wheel_cache"/face_recognition-1.3.0-*.whl
pip install -e ".[test]"
# Only for its sample face pictures (demo fallback without the dev data); its code and
# heavy dependencies are never used, hence --no-deps.
pip install --no-deps insightface==2.1
# Fail here, loudly, rather than let `import face_recognition` quit() with exit code 0.
.venv/bin/python -c "import pkg_resources, face_recognition_models, dlib; print('face models ok')" \
  2>/dev/null | grep -q "face models ok" || { echo "face_recognition_models unusable" >&2; exit 1; }
