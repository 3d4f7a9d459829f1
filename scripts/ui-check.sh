#!/usr/bin/env bash
# Screenshots for a human to look at: the live /ui page of a real 3-member
# cluster (with its leader isolated, so a new term begins on screen) and the
# timeline page of a simulator run. Output in ./ui-check/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-./ui-check}
BIN=${BIN:-./bin}
mkdir -p "$OUT"

if ! command -v chromium >/dev/null; then
	echo "installing Debian's chromium (headless screenshots)..."
	if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; else sudo apt-get install -y chromium; fi
fi

shot() { # shot URL FILE
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$(mktemp -d)" --window-size=1250,${SHOT_HEIGHT:-950} \
		--virtual-time-budget=2500 --screenshot="$2" "$1" 2>/dev/null
	echo "wrote $2"
}

DATA=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$DATA"; }
trap cleanup EXIT
CLUSTER="m1=http://127.0.0.1:45380,m2=http://127.0.0.1:46380,m3=http://127.0.0.1:47380"
for i in 1 2 3; do
	c=$((44379 + i * 1000)); p=$((44380 + i * 1000))
	"$BIN/raftkv" --name "m$i" --data-dir "$DATA/m$i" --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
		--listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
		--initial-cluster "$CLUSTER" --initial-cluster-token ui-check --experimental-debug-controls >"$DATA/m$i.log" 2>&1 &
	PIDS+=($!)
done
for _ in $(seq 1 100); do "$BIN/raftkvctl" --endpoints 127.0.0.1:45379 endpoint health >/dev/null 2>&1 && break; sleep 0.1; done
for k in a b c d e; do curl -s -X POST http://127.0.0.1:45379/v3/kv/put -d "{\"key\":\"$(printf $k | base64)\",\"value\":\"dg==\"}" >/dev/null; done
shot "http://127.0.0.1:45379/ui" "$OUT/live-cluster.png"
# Isolate the leader from the page's own control endpoint and let a new term begin.
for i in 1 2 3; do
	c=$((44379 + i * 1000))
	if curl -s "http://127.0.0.1:$c/debug/raft" | grep -q '"role":"leader"'; then
		curl -s -X POST -H "X-Raftkv-Debug-Control: 1" "http://127.0.0.1:$c/debug/control" -d '{"action":"isolate"}'
		echo "isolated m$i, the leader"
	fi
done
sleep 3
shot "http://127.0.0.1:45379/ui" "$OUT/live-leader-isolated.png"
# A member down: its commit index unknown, its controls disabled.
{ kill -9 "${PIDS[2]}"; wait "${PIDS[2]}"; } 2>/dev/null || true
echo "killed m3"
sleep 2
shot "http://127.0.0.1:45379/ui" "$OUT/live-member-down.png"

go run ./cmd/raftsim -seed 10 -faults partition -duration 15s -trace "$OUT/sim-seed10.html" >/dev/null
shot "file://$(pwd)/$OUT/sim-seed10.html?t=2.5" "$OUT/sim-timeline.png"
go run ./cmd/raftsim -mode member -seed 1 -faults all -trace "$OUT/member-seed1.html" >/dev/null
shot "file://$(pwd)/$OUT/member-seed1.html?t=6.1" "$OUT/member-timeline.png"
echo "look at the screenshots in $OUT/"
