#!/usr/bin/env bash
# bench/compare.sh: Ferrymail and Dovecot side by side on this machine.
#
# Installs Dovecot from Debian's packages if it is missing, starts a private
# Dovecot (its own configuration, Maildir, passwd-file users, loopback ports,
# no system service) and a Ferrymail with a fresh data directory, creates the
# same accounts on both (one passwd-file with SHA512-CRYPT hashes: both
# servers verify the same hash), loads both with the same generated mail
# ("ferrymail bench load"), then runs "ferrymail bench" against each in
# turn, alternating, for several rounds of each scenario, and prints one
# table: the median of each figure over the rounds for both servers, and the
# ratio Ferrymail/Dovecot. Everything it starts is stopped on exit.
#
# The machines are shared and noisy: only the ratios measured in one run
# mean anything. See docs/benchmarks.md.
#
# Environment (defaults in brackets; the default run takes about 4 minutes):
#   ROUNDS [3]      rounds per scenario, each server once per round
#   DURATION [10s]  measured time of one run;  WARMUP [2s] before it
#   CLIENTS [4]     concurrent clients;  USERS [=CLIENTS] accounts
#   MESSAGES [200]  messages loaded into each account's INBOX
#   SEED [1]        the seed of the generated mail and of the clients' plans
#   RATE            cap every run at RATE commands/s (both servers under the
#                   same load; default: a closed loop, each as fast as it can)
#   SCENARIOS ["imap-mix pop3-drop pop3-poll"]
#   FERRYMAIL       the binary to measure [built from this tree]
#   FERRYMAIL_ARGS  more "ferrymail serve" arguments, e.g. "--log-level warn"
#   OUT             keep every report (JSON) and log in this directory
#   PROFILE         a directory: after the rounds, capture a CPU and an
#                   allocation profile of Ferrymail under one more IMAP-mix
#                   run (needs "serve --metrics --pprof") and print their top
#   DOVECOT_LOGIN   performance [default] (imap-login/pop3-login serve many
#                   connections each, Dovecot's documented high-performance
#                   mode) or security (Dovecot's default: one per connection)
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CLIENTS=${CLIENTS:-4}
USERS=${USERS:-$CLIENTS}
MESSAGES=${MESSAGES:-200}
SEED=${SEED:-1}
SCENARIOS=${SCENARIOS:-"imap-mix pop3-drop pop3-poll"}
DOVECOT_LOGIN=${DOVECOT_LOGIN:-performance}
PASSWORD=bench-secret
PREFIX=bench

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/ferrymail-compare.XXXXXX)
chmod 755 "$work" # Dovecot's unprivileged processes must reach the mail
ferry_pid=
dovecot_conf=

cleanup() {
  local status=$?
  if [[ -n $ferry_pid ]] && kill -0 "$ferry_pid" 2>/dev/null; then
    kill "$ferry_pid" 2>/dev/null || true
    wait "$ferry_pid" 2>/dev/null || true
  fi
  if [[ -f $work/dovecot/run/master.pid ]]; then
    local pid
    pid=$(cat "$work/dovecot/run/master.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  if [[ -n ${OUT:-} ]]; then
    mkdir -p "$OUT"
    cp -r "$work"/reports "$work"/*.log "$OUT"/ 2>/dev/null || true
    cp "$work"/dovecot/log "$OUT"/dovecot.log 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '== %s\n' "$*" >&2; }

# A free loopback port (closed again at once; taken by a server right after).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # wait_port PORT: until something accepts on 127.0.0.1:PORT (10 s at most)
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing answers on 127.0.0.1:$1" >&2
  return 1
}

# --- Dovecot from Debian's packages --------------------------------------
if [[ ! -x /usr/sbin/dovecot || ! -x /usr/lib/dovecot/imap || ! -x /usr/lib/dovecot/pop3 ]]; then
  say "installing Dovecot (dovecot-imapd dovecot-pop3d)"
  if [[ $(id -u) -ne 0 ]]; then echo "Dovecot is missing; run as root or apt-get install dovecot-imapd dovecot-pop3d" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package's own service from starting: this script starts its own.
  policy=/usr/sbin/policy-rc.d added_policy=
  if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added_policy=1; fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends dovecot-imapd dovecot-pop3d
  if [[ -n $added_policy ]]; then rm -f "$policy"; fi
fi
command -v python3 >/dev/null || { echo "python3 is needed (free ports)" >&2; exit 1; }

# --- Ferrymail binary ----------------------------------------------------
if [[ -z ${FERRYMAIL:-} ]]; then
  say "building ferrymail"
  FERRYMAIL=$work/ferrymail
  (cd "$root" && go build -o "$FERRYMAIL" ./cmd/ferrymail)
fi
mkdir -p "$work/reports"

# --- the accounts: one passwd-file for both servers ----------------------
hash=$(doveadm pw -s SHA512-CRYPT -p "$PASSWORD")
for i in $(seq 1 "$USERS"); do echo "$PREFIX$i:$hash"; done >"$work/passwd"
chmod 644 "$work/passwd"

# --- Dovecot -------------------------------------------------------------
dv=$work/dovecot
mkdir -p "$dv/home"
chmod 755 "$dv"
if [[ $(id -u) -eq 0 ]]; then
  internal=dovecot login=dovenull mailuser=dovecot
  chown dovecot:dovecot "$dv/home"
else
  internal=$(id -un) login=$(id -un) mailuser=$(id -un)
fi
dv_imap=$(free_port) dv_pop3=$(free_port)
login_tuning=
if [[ $DOVECOT_LOGIN == performance ]]; then
  # https://doc.dovecot.org/configuration_manual/service_configuration/
  # "High-performance mode": login processes serve many connections each.
  login_tuning="service_count = 0
  process_min_avail = $(nproc)"
fi
cat >"$dv/dovecot.conf" <<CONF
base_dir = $dv/run
state_dir = $dv/state
log_path = $dv/log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:~/Maildir
default_internal_user = $internal
default_login_user = $login
mail_max_userip_connections = 10000
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT $work/passwd
}
userdb {
  driver = static
  args = uid=$mailuser gid=$mailuser home=$dv/home/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    port = $dv_imap
  }
  $login_tuning
}
service pop3-login {
  chroot =
  inet_listener pop3 {
    port = $dv_pop3
  }
  $login_tuning
}
service anvil {
  chroot =
}
CONF
dovecot_conf=$dv/dovecot.conf
say "starting Dovecot $(dovecot --version | cut -d' ' -f1) on 127.0.0.1:$dv_imap (IMAP), :$dv_pop3 (POP3)"
/usr/sbin/dovecot -c "$dovecot_conf" >"$work/dovecot-start.log" 2>&1 || { cat "$work/dovecot-start.log" "$dv/log" >&2; exit 1; }
wait_port "$dv_imap"
wait_port "$dv_pop3"

# --- Ferrymail -----------------------------------------------------------
fd=$work/ferrymail-data
"$FERRYMAIL" user import --data "$fd" "$work/passwd" >"$work/user-import.log"
fm_imap=$(free_port) fm_pop3=$(free_port)
serve_args=(serve --data "$fd" --imap "127.0.0.1:$fm_imap" --pop3 "127.0.0.1:$fm_pop3")
# shellcheck disable=SC2206 # word splitting wanted: several arguments
serve_args+=(${FERRYMAIL_ARGS:-})
fm_metrics=
if [[ -n ${PROFILE:-} ]]; then
  fm_metrics=$(free_port)
  serve_args+=(--metrics "127.0.0.1:$fm_metrics" --pprof)
fi
say "starting Ferrymail on 127.0.0.1:$fm_imap (IMAP), :$fm_pop3 (POP3)"
"$FERRYMAIL" "${serve_args[@]}" >"$work/ferrymail.log" 2>&1 &
ferry_pid=$!
wait_port "$fm_imap"
wait_port "$fm_pop3"

# --- the same mail in both -----------------------------------------------
who=(--user-prefix "$PREFIX" --user-count "$USERS" --password "$PASSWORD")
for server in dovecot ferrymail; do
  port=$dv_imap; [[ $server == ferrymail ]] && port=$fm_imap
  say "loading $server: $MESSAGES messages into each of $USERS accounts"
  "$FERRYMAIL" bench load --quiet --imap "127.0.0.1:$port" "${who[@]}" --messages "$MESSAGES" --seed "$SEED" --clients "$CLIENTS" >&2
done

# --- alternating rounds --------------------------------------------------
bench_one() { # bench_one SERVER SCENARIO ROUND
  local server=$1 scenario=$2 round=$3 imap=$dv_imap pop3=$dv_pop3 args
  if [[ $server == ferrymail ]]; then imap=$fm_imap pop3=$fm_pop3; fi
  case $scenario in
    imap-mix) args=(--imap "127.0.0.1:$imap") ;;
    pop3-drop) args=(--pop3 "127.0.0.1:$pop3" --pop3-mode drop) ;;
    pop3-poll) args=(--pop3 "127.0.0.1:$pop3" --pop3-mode poll) ;;
    *) echo "unknown scenario $scenario" >&2; return 1 ;;
  esac
  "$FERRYMAIL" bench "${args[@]}" "${who[@]}" --clients "$CLIENTS" --duration "$DURATION" --warmup "$WARMUP" \
    --seed "$SEED" ${RATE:+--rate "$RATE"} --json >"$work/reports/$server-$scenario-$round.json" 2>>"$work/bench-errors.log"
}

for round in $(seq 1 "$ROUNDS"); do
  # Who goes first alternates, so neither always runs on a warmer machine.
  order="ferrymail dovecot"; ((round % 2 == 0)) && order="dovecot ferrymail"
  for scenario in $SCENARIOS; do
    for server in $order; do
      say "round $round/$ROUNDS: $scenario against $server"
      bench_one "$server" "$scenario" "$round"
    done
  done
done

# --- profiles (optional) -------------------------------------------------
if [[ -n ${PROFILE:-} ]]; then
  mkdir -p "$PROFILE"
  secs=${DURATION%s}
  say "profiling Ferrymail under the IMAP mix (${secs}s)"
  base=http://127.0.0.1:$fm_metrics/debug/pprof
  curl -sf -o "$PROFILE/cpu.pprof" "$base/profile?seconds=$secs" &
  cpu_pid=$!
  curl -sf -o "$PROFILE/allocs.pprof" "$base/allocs?seconds=$secs" &
  allocs_pid=$!
  "$FERRYMAIL" bench --imap "127.0.0.1:$fm_imap" "${who[@]}" --clients "$CLIENTS" --duration "$((secs + 2))s" \
    --warmup 0s --seed "$SEED" >"$PROFILE/bench.txt" 2>>"$work/bench-errors.log"
  wait "$cpu_pid" "$allocs_pid"
  cp "$FERRYMAIL" "$PROFILE/ferrymail" # pprof wants the binary for symbols
  go tool pprof -top -nodecount=25 "$PROFILE/ferrymail" "$PROFILE/cpu.pprof" >"$PROFILE/cpu-top.txt" 2>/dev/null
  go tool pprof -top -cum -nodecount=60 "$PROFILE/ferrymail" "$PROFILE/cpu.pprof" >"$PROFILE/cpu-cum.txt" 2>/dev/null
  go tool pprof -top -nodecount=25 -sample_index=alloc_space "$PROFILE/ferrymail" "$PROFILE/allocs.pprof" >"$PROFILE/allocs-top.txt" 2>/dev/null
fi

# --- the table -----------------------------------------------------------
echo
echo "Ferrymail vs Dovecot $(dovecot --version | cut -d' ' -f1): $CLIENTS clients, $USERS accounts of $MESSAGES messages, $ROUNDS rounds of $DURATION (seed $SEED)"
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, kernel $(uname -r)"
"$FERRYMAIL" bench compare ferrymail="$work/reports/ferrymail-*.json" dovecot="$work/reports/dovecot-*.json"
if [[ -s $work/bench-errors.log ]]; then
  echo
  echo "errors reported by the load generator (at most 20 a run), by kind:"
  sed -E 's/[0-9.]+:[0-9]+/ADDR/g' "$work/bench-errors.log" | sort | uniq -c | sort -rn | head -10
fi
if [[ -n ${PROFILE:-} ]]; then
  echo
  echo "--- Ferrymail CPU profile under the IMAP mix, top (flat); more in $PROFILE ---"
  sed -n '5,31p' "$PROFILE/cpu-top.txt"
  echo "--- allocation profile, top (alloc_space) ---"
  sed -n '5,25p' "$PROFILE/allocs-top.txt"
fi
