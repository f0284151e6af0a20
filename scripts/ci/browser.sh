#!/bin/bash
# Renders sparsim's index.html pages in real headless Chromium (Debian's `chromium`, installed
# here if missing) and checks that they load with no console message and show their plots: the
# ignored test sim/tests/it/browser.rs.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null; then
    echo "installing chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
cargo test --test it browser -- --ignored
