#!/usr/bin/env bash
# The Dockerfile's two stages repeated by hand, for machines without a Docker engine:
#   build: copy what the COPY lines copy, npm ci, npm run build, npm prune --omit=dev
#   run:   package.json, node_modules and dist/ only, read-only, as an unprivileged user:
#          node --max-semi-space-size=4 dist/main.js (the CMD), the HEALTHCHECK command, /healthz and /readyz, SIGTERM → exit 0
#
#   scripts/image-stages.sh        (AMQP_URL, default amqp://guest:guest@127.0.0.1:5672; PORT default 3999)
#
# It runs the node on PATH (the image has node 24); it leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
amqp_url="${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672}"
port="${PORT:-3999}"
work=$(mktemp -d /tmp/amqp-relay-image.XXXXXX)
tag="image-stages-$(basename "$work" | cut -d. -f2)"
relay_pid=""

cleanup() {
  if [ -n "$relay_pid" ] && kill -0 "$relay_pid" 2>/dev/null; then kill -KILL "$relay_pid"; fi
  if command -v rabbitmqctl >/dev/null 2>&1; then
    for q in "$tag.crawl.request" "$tag.crawl.response" "$tag.ai" "amqp-relay.reply.$tag"; do
      rabbitmqctl -q delete_queue "$q" >/dev/null 2>&1 || true
    done
  fi
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

step "build stage in $work/build (node $(node -v))"
mkdir -p "$work/build/scripts"
t=$(date +%s)
cp package.json package-lock.json "$work/build/"                  # COPY package.json package-lock.json ./
(cd "$work/build" && npm ci --ignore-scripts --no-audit --no-fund) # RUN npm ci --ignore-scripts
cp tsconfig.json "$work/build/"                                    # COPY tsconfig.json ./
cp scripts/build.mjs "$work/build/scripts/"                        # COPY scripts/build.mjs ./scripts/
cp -r src "$work/build/src"                                        # COPY src ./src
(cd "$work/build" && npm run build && npm prune --omit=dev --no-audit --no-fund)
echo "build stage: $(elapsed "$t")"

step "run stage in $work/app"
mkdir -p "$work/app"
cp "$work/build/package.json" "$work/app/"                         # COPY --from=build /app/package.json ./
cp -r "$work/build/node_modules" "$work/app/node_modules"          # COPY --from=build /app/node_modules ./node_modules
cp -r "$work/build/dist" "$work/app/dist"                          # COPY --from=build /app/dist ./dist
echo "dist/: $(cd "$work/app/dist" && find . -type f | sort | tr '\n' ' ')"
echo "node_modules: $(du -sh "$work/app/node_modules" | cut -f1), $(find "$work/app/node_modules" -maxdepth 2 -name package.json -o -maxdepth 3 -path '*/@*/*/package.json' | wc -l) packages"
for dev in tsx esbuild typescript vitest eslint; do
  if [ -e "$work/app/node_modules/$dev/package.json" ]; then echo "FAIL: dev dependency $dev in the run stage"; exit 1; fi
done
echo "no tsx, esbuild, typescript, vitest or eslint in the run stage"
# readOnlyRootFilesystem and USER node: nothing under /app is writable, and the process is not root.
chmod -R a-w "$work/app"
chmod a+rx "$work" "$work/app"
as_user=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
  as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  echo "runs as uid 65534 (nobody) through setpriv; /app is read-only"
fi

step "start: MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=4 dist/main.js on :$port"
t_start=$(date +%s%N)
(cd "$work/app" && exec env -i PATH="$PATH" NODE_ENV=production PORT="$port" HOST=127.0.0.1 RABBITMQ_URL="$amqp_url" \
  RELAY_INSTANCE_ID="$tag" RABBITMQ_CRAWLING_REQUEST_QUEUE="$tag.crawl.request" \
  RABBITMQ_CRAWLING_RESPONSE_QUEUE="$tag.crawl.response" AI_QUEUE_NAME="$tag.ai" \
  MALLOC_MMAP_THRESHOLD_=131072 "${as_user[@]}" node --max-semi-space-size=4 dist/main.js) >"$work/relay.log" 2>&1 &
relay_pid=$!
ready=""
for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ready=yes; break; fi
  if ! kill -0 "$relay_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$ready" ]; then echo "FAIL: not ready"; cat "$work/relay.log"; exit 1; fi
echo "ready after $(( ($(date +%s%N) - t_start) / 1000000 )) ms; RSS $(awk '/VmRSS/ {print $2, $3}' "/proc/$relay_pid/status")"
echo "GET /healthz: $(curl -sS "http://127.0.0.1:$port/healthz")"
echo "GET /readyz:  $(curl -sS "http://127.0.0.1:$port/readyz")"
# The HEALTHCHECK line, as Docker would run it inside the container.
(cd "$work/app" && PORT="$port" "${as_user[@]}" node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))")
echo "HEALTHCHECK command: exit $?"

step "stop: SIGTERM"
kill -TERM "$relay_pid"
code=0
wait "$relay_pid" || code=$?
relay_pid=""
echo "exit code $code"
grep -o '"msg":"[^"]*"' "$work/relay.log" | tr '\n' ' '; echo
[ "$code" = 0 ] || { echo "FAIL: exit code $code"; exit 1; }
echo "image stages: OK"
