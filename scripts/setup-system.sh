#!/usr/bin/env bash
# System packages the project needs beyond Python: a CJK font for the report
# charts, Chromium for the browser test and docker-compose (offline parser) for the
# compose-file test. Installs only what is missing.
set -euo pipefail
need=()
# (grep without -q: an early exit would SIGPIPE fc-list and fail the pipeline under pipefail)
fc-list 2>/dev/null | grep -i "Noto Sans CJK\|WenQuanYi" >/dev/null || need+=(fonts-noto-cjk fontconfig)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing system packages: ${need[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "warning: please install ${need[*]} (needed for report charts and the browser test)" >&2
  fi
fi
