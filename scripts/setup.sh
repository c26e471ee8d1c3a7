#!/usr/bin/env bash
# Set gaiji up on a fresh Debian/Ubuntu machine, idempotently.
#
#   bash scripts/setup.sh          # Python package + IPAmj font + MJ table + reference build
#   bash scripts/setup.sh --test   # … plus what the tests need (fonts to test on, chromium)
#
# Sources are verified against the SHA-256 pins in glyph_db/pins.json by `gaiji reference fetch`.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

# Debian packages: the reference font, openly licensed fonts the sample and the
# benchmark are drawn from (never IPAmj itself), and chromium for the browser tests.
#   - the match projection learns from IPA/IPAex/VL Gothic/Takao; its confidence is calibrated
#     on Ume Mincho/Gothic (fonts-horai-umefont) — without it calibration would fall back to
#     the reference font itself and over-accept;
#   - benchmarks use Hanazono, Noto CJK JP, Klee, Oradano Mincho and Konatu (never learned from);
#   - (--test) match v2's verifier also learns from Motoya L Maruberi, Sawarabi Gothic, M+ and
#     Kiloji, and its confidence is calibrated on BIZ UD, Motoya L Cedar, Sawarabi Mincho,
#     Dejima Mincho, DotGothic16 and Seto: only scripts/train_matcher.py needs them.
apt_pkgs=(fonts-ipamj-mincho fonts-hanazono fonts-ipafont-mincho fonts-ipafont-gothic
          fonts-ipaexfont fonts-vlgothic fonts-takao-mincho fonts-horai-umefont
          fonts-noto-cjk fonts-morisawa-bizud-mincho fonts-morisawa-bizud-gothic fonts-klee
          fonts-oradano-mincho-gsrr fonts-konatu)
# xfonts-utils: bdftopcf, to test PCF reading against the X.org converter; xfonts-shinonome and
# xfonts-intl-japanese(-big): real 12–24 px bitmap fonts for the match benchmark; fonts-unifont and
# xfonts-kaname: real 16 / 12 px bitmap fonts the match verifier learns from (scripts/train_matcher.py)
# fonts-babelstone-han: a second design of CJK Ext C–F, from which the bundled added-set
#   sample's gaiji are drawn (gaiji/sample/refset/generate.py; its test regenerates them)
if (( want_test )); then apt_pkgs+=(chromium chromium-driver xfonts-utils xfonts-shinonome xfonts-intl-japanese
                                    xfonts-intl-japanese-big fonts-babelstone-han fonts-unifont xfonts-kaname
                                    fonts-motoya-l-maruberi fonts-sawarabi-gothic fonts-mplus fonts-kiloji
                                    fonts-motoya-l-cedar fonts-sawarabi-mincho fonts-dejima-mincho fonts-dotgothic16
                                    fonts-seto); fi
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  if [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then SUDO=sudo; else SUDO=; fi
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v npm >/dev/null; then
  echo "setup: npm is needed to fetch the MJ table (@mandel59/mojidata); apt-get install npm" >&2
  exit 1
fi

extras="."
(( want_test )) && extras=".[test]"
python3 -m pip install -q --disable-pip-version-check -e "$extras" 2>&1 | grep -v -E "^(WARNING|\s*$)" || true

python3 -m gaiji reference build
