#!/bin/sh
# One request = one run of this script. It counts the hit in /tmp/hits (mkdir is the lock:
# it either creates the directory or fails, atomically) and says which container answered.
# `/?json` answers in JSON for programs (checks, the Kubernetes bar chart).
tries=0
until mkdir /tmp/hits.lock 2>/dev/null; do
  tries=$((tries + 1))
  [ "$tries" -gt 500 ] && rmdir /tmp/hits.lock 2>/dev/null   # a lock left by a killed request
  usleep 2000
done
hits=$(( $(cat /tmp/hits 2>/dev/null || echo 0) + 1 ))
echo "$hits" > /tmp/hits
rmdir /tmp/hits.lock

host=$(hostname)
version=${APP_VERSION:-1}
if [ "$QUERY_STRING" = "json" ]; then
  printf 'Content-Type: application/json\r\nCache-Control: no-store\r\n\r\n'
  printf '{"host": "%s", "hits": %s, "version": "%s"}\n' "$host" "$hits" "$version"
  exit 0
fi
case "$version" in 1) colour="#0969da" ;; *) colour="#1a7f37" ;; esac
printf 'Content-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n\r\n'
cat <<HTML
<!doctype html>
<html><head><title>dockyard demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:sans-serif;text-align:center;margin-top:12vh;background:${colour};color:white">
<h1 style="font-size:3em">Hello from a container!</h1>
<p style="font-size:1.6em">served by <b id="host">${host}</b></p>
<p style="font-size:1.6em">hit number <b id="hits">${hits}</b> on this container</p>
<p style="font-size:1.2em">version <b id="version">${version}</b></p>
</body></html>
HTML
