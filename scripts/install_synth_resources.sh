#!/usr/bin/env bash
# Install the fonts, corpora and backgrounds that openocr.synth renders from (Debian + PyPI).
# Idempotent: packages already present are skipped. Usage:
#   bash scripts/install_synth_resources.sh            # Latin + CJK fonts, corpora, backgrounds
#   bash scripts/install_synth_resources.sh --minimal  # Latin fonts + English corpora only
#   bash scripts/install_synth_resources.sh --no-pip   # skip PyPI packages
#   bash scripts/install_synth_resources.sh --npm-fonts  # also three Chinese fonts from npm (Fontsource)
set -euo pipefail

MINIMAL=0
PIP=1
NPM_FONTS=0
PY="${PYTHON:-python3}"
for arg in "$@"; do
  case "$arg" in
    --minimal) MINIMAL=1 ;;
    --no-pip) PIP=0 ;;
    --npm-fonts) NPM_FONTS=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

LATIN=(
  fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-liberation2 fonts-noto-core
  fonts-roboto fonts-freefont-ttf fonts-open-sans fonts-lato fonts-inter fonts-urw-base35
  fonts-texgyre fonts-crosextra-carlito fonts-crosextra-caladea fonts-ebgaramond
  fonts-linuxlibertine fonts-go fonts-hack fonts-firacode fonts-jetbrains-mono fonts-cantarell
  fonts-roboto-slab fonts-sil-andika fonts-sil-charis fonts-oldstandard fonts-adf-accanthis
  fonts-adf-gillius fonts-adf-switzera fonts-adf-baskervald fonts-averia-gwf
  fonts-averia-sans-gwf fonts-averia-serif-gwf fonts-quicksand fonts-jura fonts-league-spartan
  fonts-bebas-neue fonts-yanone-kaffeesatz fonts-mononoki fonts-3270 fonts-ocr-a fonts-ocr-b

  fonts-dkg-handwriting fonts-tlwg-purisa fonts-kristi fonts-isabella fonts-dancingscript
  fonts-comic-neue fonts-humor-sans fonts-lobster fonts-lobstertwo fonts-staypuft
  fonts-femkeklaver fonts-beteckna fonts-blankenburg

  fonts-roadgeek fonts-national-park fonts-opendin fonts-tiresias fonts-routed-gothic
  fonts-paratype fonts-croscore fonts-cabin fonts-dosis fonts-karla fonts-manrope fonts-sora
  fonts-play fonts-clear-sans fonts-comfortaa fonts-tuffy fonts-allerta fonts-oxygen
  fonts-vollkorn fonts-quattrocento fonts-cherrybomb fonts-rocknroll fonts-kaushanscript
  fonts-leckerli-one fonts-engadget fonts-cabinsketch fonts-dustin fonts-sjfonts fonts-b612
  fonts-junction fonts-goudybookletter fonts-levien-museum fonts-century-catalogue
  fonts-courier-prime fonts-fantasque-sans fonts-inconsolata fonts-gfs-didot fonts-sil-gentium
  fonts-cmu fonts-arkpandora fonts-stix fonts-yrsa-rasa fonts-train fonts-okolaks
  fonts-radisnoir fonts-rufscript fonts-summersby fonts-georgewilliams

  wamerican fortunes-min fortunes
)
CJK=(
  fonts-noto-cjk fonts-noto-cjk-extra fonts-wqy-microhei fonts-wqy-zenhei fonts-lxgw-wenkai
  fonts-cns11643-kai fonts-cns11643-sung fonts-hanazono fonts-klee fonts-kiloji
  fonts-kouzan-mouhitsu fonts-aoyagi-soseki fonts-seto
  fonts-arphic-ukai fonts-arphic-uming
  fortunes-zh
)
BACKGROUNDS=(mate-backgrounds plasma-workspace-wallpapers)

want=()
for p in "${LATIN[@]}"; do want+=("$p"); done
if [ "$MINIMAL" = 0 ]; then
  want+=("${CJK[@]}" "${BACKGROUNDS[@]}")
fi

if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    $SUDO apt-get update -qq
    avail=()
    for p in "${missing[@]}"; do
      if apt-cache show "$p" >/dev/null 2>&1; then avail+=("$p"); else echo "skip (not in apt): $p"; fi
    done
    if [ "${#avail[@]}" -gt 0 ]; then
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${avail[@]}"
    fi
  else
    echo "apt packages: all present"
  fi
else
  echo "apt-get not found: install the fonts by hand (see docs/synth.md)" >&2
fi

if [ "$PIP" = 1 ]; then
  pips=(wordfreq)
  [ "$MINIMAL" = 0 ] && pips+=(jieba)
  "$PY" -m pip install -q "${pips[@]}"
fi

if [ "$NPM_FONTS" = 1 ]; then
  "$PY" "$(dirname "$0")/install_fontsource_fonts.py"
fi

# Rebuild the font index now so the first training run does not pay for it.
"$PY" - <<'PYEOF' || echo "font index not built (is openocr installed?)"
from openocr.synth.fonts import FontIndex
idx = FontIndex.load()
print(f"font index: {len(idx.faces)} faces")
PYEOF
