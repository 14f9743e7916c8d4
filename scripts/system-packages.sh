#!/usr/bin/env bash
# Debian packages selfeval needs on a fresh machine; installs only what is missing.
#   fonts-wqy-microhei: the CJK TrueType font the PDF test material embeds
#   fonts-noto-cjk is not needed: reportlab ships the STSong-Light CID font definition
#   chromium, chromium-driver: the review page's browser test (playwright drives this chromium; nothing is downloaded)
#   libreoffice-writer-nogui, libreoffice-calc-nogui: .doc, .rtf, .odt and .ods files are converted by LibreOffice
set -euo pipefail
needed=(fonts-wqy-microhei chromium chromium-driver libreoffice-writer-nogui libreoffice-calc-nogui)
missing=()
for pkg in "${needed[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
