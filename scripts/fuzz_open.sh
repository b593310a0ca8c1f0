#!/usr/bin/env bash
# Schema-driven fuzz of the open data API (issue #16): schemathesis generates requests for every
# operation of /open/openapi.json — valid, invalid and malformed — against a running demo
# server, with a real application token, and fails on any 5xx.
#
#     bash scripts/fuzz_open.sh http://127.0.0.1:8080 [max examples per operation]
#
# Needs schemathesis (pip install schemathesis).
set -euo pipefail
BASE="${1:?usage: fuzz_open.sh BASE_URL [EXAMPLES]}"
EXAMPLES="${2:-60}"
TOKEN="$(python3 "$(dirname "$0")/open_app.py" "$BASE")"
schemathesis run "$BASE/open/openapi.json" \
  --url "$BASE" \
  --checks not_a_server_error \
  --header "Authorization: Bearer $TOKEN" \
  --max-examples "$EXAMPLES" \
  --generation-database none \
  --no-color
