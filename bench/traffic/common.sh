# Shared by bench/traffic/run.sh and bench/traffic/interleave.sh (sourced from the repository root): the work folder,
# the built CLI, the driver, and starting and stopping `serve` on the traffic shop.
W=out/bench-traffic
PORT=${PORT:-5091}
URL=http://127.0.0.1:$PORT
R0=${RANKER:-$W/r0}
export SEARCHREC_API_KEY=${SEARCHREC_API_KEY:-traffic-admin-key-0123456789}
dotnet build src/SearchRec.Cli -c Release -v q -nologo >/dev/null
S="dotnet src/SearchRec.Cli/bin/Release/net10.0/searchrec.dll"
D="python3 bench/traffic/drive.py"
mkdir -p "$W"

SERVE=
start() { # store ranker [serve options...]
  $S serve --index "$W/index" --collab "$W/collab" --events "$1" --ranker "$2" --urls "$URL" "${@:3}" > "$W/serve.log" 2>&1 &
  SERVE=$!
  for _ in $(seq 120); do curl -sf "$URL/healthz" >/dev/null && return; sleep 1; done
  echo "serve did not start; see $W/serve.log" >&2; exit 1
}
stop() { kill -TERM "$SERVE"; wait "$SERVE" || true; SERVE=; }
trap '[ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null || true' EXIT
