#!/usr/bin/env bash
# A real Moodle 5.0.6+ with mod_percipio on this machine, for acceptance runs and recording pages:
# its own PostgreSQL cluster, php-fpm master and nginx, all on loopback ports and all kept outside the
# clone under ${MOODLE_PERCIPIO_CACHE:-$HOME/.cache/moodle-percipio-iac}/real-moodle/ (Debian 12, root).
#
#   scripts/real-moodle.sh start   install what is missing (apt-get, code, site, snapshot), start the daemons
#   scripts/real-moodle.sh reset   put the site back to its just-installed snapshot (database + moodledata)
#   scripts/real-moodle.sh stop    stop the three daemons this script started
#   scripts/real-moodle.sh env     print MOODLE_URL=… lines for `npm run test:acceptance` (eval-able)
#   scripts/real-moodle.sh accesslog  print the path of nginx's access log (one line per request; the bench counts them)
#   scripts/real-moodle.sh status  which daemons run, the paths and the CLI command
#   scripts/real-moodle.sh running exit 0 when PostgreSQL, php-fpm and nginx all run (for scripts/test.sh)
#   scripts/real-moodle.sh sql Q   run one SQL statement on the site's database, print the rows unaligned
#   scripts/real-moodle.sh cli S…  run Moodle's CLI script S (e.g. admin/cli/cfg.php) as www-data
#
# Every step checks first, so running `start` again only starts what is not running.
# Ports: REAL_MOODLE_HTTP_PORT (8450), REAL_MOODLE_PG_PORT (5450); both bound to 127.0.0.1 only.
set -euo pipefail

project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared_dir="${MOODLE_PERCIPIO_SHARED:-$project_root/../shared}"
moodle_tarball="$shared_dir/thirdparty/moodle-5.0.6plus-20260403.tar.gz"
percipio_zip="$shared_dir/thirdparty/mod_percipio-2022022124.zip"

cache_root="${MOODLE_PERCIPIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/moodle-percipio-iac}"
base="$cache_root/real-moodle"
code="$base/moodle"           # Moodle's dirroot (owned by root, read by www-data)
data="$base/moodledata"       # dataroot (www-data)
pgdata="$base/pg/data"        # the cluster (postgres)
pgrun="$base/pg/run"          # its unix socket directory
pglog="$base/pg/postgres.log"
run="$base/run"               # pid files, php-fpm socket, nginx temp dirs
logs="$base/log"
etc="$base/etc"               # nginx.conf, php-fpm.conf written by this script
snap="$base/snapshot"         # template database name + copy of moodledata after the first install

http_port="${REAL_MOODLE_HTTP_PORT:-8450}"
pg_port="${REAL_MOODLE_PG_PORT:-5450}"
url="http://127.0.0.1:$http_port"
admin_user=admin
# The recording site's credentials (HTTP-REFERENCE.md), so recorded pages and this site agree.
admin_password="${REAL_MOODLE_ADMIN_PASSWORD:-Admin-Pass-1!}"
db_name=moodle
db_template=moodle_snapshot
db_user=moodle
db_password=moodle-local-only

php_bin=php8.2
fpm_bin=php-fpm8.2
apt_packages=(nginx-light php8.2-fpm php8.2-cli php8.2-pgsql php8.2-xml php8.2-mbstring php8.2-curl
  php8.2-zip php8.2-gd php8.2-intl php8.2-soap php8.2-opcache postgresql unzip curl)

log() { echo "[real-moodle] $*" >&2; }
die() { echo "[real-moodle] error: $*" >&2; exit 1; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

moodle_cli_cmd() { echo "cd $code && runuser -u www-data -- $php_bin -d max_input_vars=5000"; }
# Moodle's CLI as the web server user (root-owned cache files in moodledata would break the site).
moodle_cli() { (cd "$code" && runuser -u www-data -- "$php_bin" -d max_input_vars=5000 "$@"); }
pg_bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$d" ] && [ -x "$d/initdb" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)"
  echo "$d"
}
as_postgres() { runuser -u postgres -- "$@"; }
psql_admin() { as_postgres "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgrun" -p "$pg_port" -d postgres "$@"; }

need_root() { [ "$(id -u)" = 0 ] || die "run as root (it starts PostgreSQL as postgres and php-fpm/nginx workers as www-data)"; }

ensure_packages() {
  local missing=() p
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  # No init system to start the packaged services (and they must not take the default ports' place).
  local policy=/usr/sbin/policy-rc.d created_policy=
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created_policy=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
  [ -n "$created_policy" ] && rm -f "$policy"
  return 0
}

# www-data and postgres must be able to reach $base: on Debian, root's $HOME is mode 700. Grant only
# "search" (o+x, not listing) on the ancestors that lack it, and say so.
ensure_traversable() {
  mkdir -p "$base"
  local d path=""
  # From / down, so a directory is only changed when it is the one in the way.
  for d in $(dirname "$base" | tr '/' ' '); do
    path="$path/$d"
    if ! runuser -u www-data -- test -x "$path" 2>/dev/null || ! runuser -u postgres -- test -x "$path" 2>/dev/null; then
      log "chmod o+x $path (www-data and postgres must reach $base; this grants traversal, not listing)"
      chmod o+x "$path"
    fi
  done
  chmod 755 "$base"
}

ensure_code() {
  [ -f "$code/version.php" ] && [ -f "$code/mod/percipio/version.php" ] && return 0
  [ -f "$moodle_tarball" ] || die "Moodle code not found: $moodle_tarball (the tests read it from ../shared/thirdparty beside the clone; set MOODLE_PERCIPIO_SHARED to another shared directory)"
  [ -f "$percipio_zip" ] || die "mod_percipio not found: $percipio_zip (see ../shared/thirdparty/README.md)"
  local t0 tmp; t0="$(now)"; tmp="$base/code.tmp"
  rm -rf "$tmp"; mkdir -p "$tmp"
  tar -xzf "$moodle_tarball" -C "$tmp"
  [ -f "$tmp/moodle/version.php" ] || die "$moodle_tarball has no moodle/version.php"
  unzip -q "$percipio_zip" -d "$tmp/moodle/mod"
  [ -f "$tmp/moodle/mod/percipio/version.php" ] || die "$percipio_zip has no percipio/version.php"
  chown -R root:root "$tmp/moodle"; chmod -R u=rwX,go=rX "$tmp/moodle"
  rm -rf "$code"; mv "$tmp/moodle" "$code"; rm -rf "$tmp"
  log "code unpacked into $code ($(took "$t0"))"
}

write_configs() {
  mkdir -p "$etc" "$run" "$logs"
  cat >"$etc/php-fpm.conf" <<EOF
; Written by scripts/real-moodle.sh; only this site's pool, not /etc/php/8.2/fpm/pool.d.
[global]
pid = $run/php-fpm.pid
error_log = $logs/php-fpm.log
daemonize = yes

[moodle]
user = www-data
group = www-data
listen = $run/php-fpm.sock
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm = dynamic
pm.max_children = 6
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 3
catch_workers_output = yes
php_admin_value[max_input_vars] = 5000
php_admin_value[memory_limit] = 256M
php_admin_value[post_max_size] = 64M
php_admin_value[upload_max_filesize] = 64M
php_admin_flag[log_errors] = on
php_admin_value[error_log] = $logs/php-error.log
EOF
  cat >"$etc/nginx.conf" <<EOF
# Written by scripts/real-moodle.sh (run as nginx -c $etc/nginx.conf).
user www-data;
worker_processes 1;
pid $run/nginx.pid;
error_log $logs/nginx-error.log;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log $logs/nginx-access.log;
  client_body_temp_path $run/nginx-body;
  fastcgi_temp_path $run/nginx-fastcgi;
  proxy_temp_path $run/nginx-proxy;
  uwsgi_temp_path $run/nginx-uwsgi;
  scgi_temp_path $run/nginx-scgi;
  client_max_body_size 64m;
  sendfile on;
  server {
    listen 127.0.0.1:$http_port;
    server_name 127.0.0.1;
    root $code;
    index index.php index.html;
    # Moodle's nginx notes: PHP scripts take a path after them (slasharguments: file.php/1/…),
    # so match "x.php" followed by "/" or the end and pass the rest as PATH_INFO.
    location ~ [^/]\.php(/|\$) {
      fastcgi_split_path_info ^(.+\.php)(/.*)\$;
      set \$path_info \$fastcgi_path_info;
      try_files \$fastcgi_script_name \$fastcgi_script_name/ =404;
      include /etc/nginx/fastcgi_params;
      fastcgi_param PATH_INFO \$path_info;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_index index.php;
      fastcgi_read_timeout 300s;
      fastcgi_pass unix:$run/php-fpm.sock;
    }
    # Files Moodle keeps in its code tree but must never serve (Moodle's web server guidance).
    location ~ (/vendor/|/node_modules/|composer\.json|/readme|/README|readme\.txt|/upgrade\.txt|/UPGRADING\.md|db/install\.xml|/fixtures/|/behat/|phpunit\.xml|\.lock|environment\.xml) {
      deny all;
      return 404;
    }
    location ~ /\. { deny all; return 404; }
    # Moodle 5.0's router (r.php) answers paths that are not files.
    location / { try_files \$uri \$uri/ /r.php\$is_args\$args; }
  }
}
EOF
}

pg_running() { [ -f "$pgdata/postmaster.pid" ] && as_postgres "$(pg_bindir)/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; }
pid_running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

ensure_postgres() {
  local bindir; bindir="$(pg_bindir)"
  mkdir -p "$base/pg"; chown postgres:postgres "$base/pg"
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    log "initdb $pgdata"
    as_postgres mkdir -p "$pgdata" "$pgrun"
    as_postgres "$bindir/initdb" -D "$pgdata" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  fi
  as_postgres mkdir -p "$pgrun"
  if ! pg_running; then
    as_postgres "$bindir/pg_ctl" -D "$pgdata" -l "$pglog" -w -t 60 \
      -o "-p $pg_port -k $pgrun -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
      || die "PostgreSQL did not start (port $pg_port in use?); see $pglog"
    log "PostgreSQL on 127.0.0.1:$pg_port (socket dir $pgrun)"
  fi
  if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname='$db_user'")" ]; then
    psql_admin -c "CREATE ROLE $db_user LOGIN PASSWORD '$db_password'"
  fi
}

ensure_fpm() {
  pid_running "$run/php-fpm.pid" && return 0
  "$fpm_bin" -t -y "$etc/php-fpm.conf" >/dev/null 2>&1 || { "$fpm_bin" -t -y "$etc/php-fpm.conf"; die "php-fpm config test failed ($etc/php-fpm.conf)"; }
  "$fpm_bin" -y "$etc/php-fpm.conf"
  local i; for i in $(seq 50); do [ -S "$run/php-fpm.sock" ] && break; sleep 0.1; done
  [ -S "$run/php-fpm.sock" ] || die "php-fpm did not open $run/php-fpm.sock; see $logs/php-fpm.log"
  log "php-fpm pool on $run/php-fpm.sock"
}

ensure_nginx() {
  pid_running "$run/nginx.pid" && return 0
  nginx -e "$logs/nginx-error.log" -t -c "$etc/nginx.conf" >/dev/null 2>&1 || { nginx -e "$logs/nginx-error.log" -t -c "$etc/nginx.conf"; die "nginx config test failed"; }
  nginx -e "$logs/nginx-error.log" -c "$etc/nginx.conf" || die "nginx did not start (port $http_port in use?); see $logs/nginx-error.log"
  log "nginx on $url"
}

db_exists() { [ -n "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname='$1'")" ]; }

install_site() {
  [ -f "$base/.installed" ] && return 0
  local t0; t0="$(now)"
  # A half-done earlier attempt: start over from an empty database and dataroot.
  rm -f "$code/config.php"
  db_exists "$db_name" && psql_admin -c "DROP DATABASE $db_name WITH (FORCE)"
  psql_admin -c "CREATE DATABASE $db_name OWNER $db_user ENCODING 'UTF8' TEMPLATE template0"
  rm -rf "$data"; mkdir -p "$data"; chown www-data:www-data "$data"; chmod 2770 "$data"
  log "installing Moodle (admin/cli/install.php; a few minutes)"
  # install.php writes config.php into dirroot: let www-data create it, then take the directory back.
  chown www-data "$code"
  moodle_cli admin/cli/install.php --non-interactive --agree-license --lang=en \
    --wwwroot="$url" --dataroot="$data" --dbtype=pgsql --dbhost=127.0.0.1 --dbport="$pg_port" \
    --dbname="$db_name" --dbuser="$db_user" --dbpass="$db_password" --prefix=mdl_ \
    --fullname="moodle-percipio-iac test site" --shortname=iactest \
    --adminuser="$admin_user" --adminpass="$admin_password" --adminemail=admin@example.com \
    --supportemail=support@example.com >"$logs/install.log" 2>&1 \
    || { chown root "$code"; tail -n 30 "$logs/install.log" >&2; die "admin/cli/install.php failed; full output in $logs/install.log"; }
  chown root "$code"; chown root:www-data "$code/config.php"; chmod 640 "$code/config.php"
  # No mail leaves the box (as on the recording site).
  grep -q noemailever "$code/config.php" || sed -i 's|^require_once(__DIR__ . .\/lib\/setup.php.);|$CFG->noemailever = true;\n&|' "$code/config.php"
  grep -q noemailever "$code/config.php" || die "could not add \$CFG->noemailever to $code/config.php"
  # Without it /admin/index.php sends every admin to upgradesettings.php (HTTP-REFERENCE "Fresh-state facts").
  moodle_cli admin/cli/cfg.php --name=noreplyaddress --set=noreply@example.com
  log "installed in $(took "$t0") (log: $logs/install.log)"
  take_snapshot
  touch "$base/.installed"
}

# The just-installed state: a template database and a copy of moodledata.
take_snapshot() {
  local t0; t0="$(now)"
  # Caches rebuilt once (a page read) before the copy: they belong to this database state, and a reset
  # then answers its first request without rebuilding them.
  moodle_cli admin/cli/purge_caches.php
  curl -s -o /dev/null "$url/login/index.php" || true
  db_exists "$db_template" && psql_admin -c "DROP DATABASE $db_template"
  psql_admin -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname='$db_name' AND pid <> pg_backend_pid()" >/dev/null
  psql_admin -c "CREATE DATABASE $db_template TEMPLATE $db_name OWNER $db_user"
  rm -rf "$snap"; mkdir -p "$snap"
  cp -a "$data" "$snap/moodledata"
  touch "$snap/.complete"
  log "snapshot taken in $(took "$t0") (database $db_template, $snap/moodledata)"
}

do_reset() {
  [ -f "$snap/.complete" ] && db_exists "$db_template" || die "no snapshot yet: run '$0 start' first"
  local t0; t0="$(now)"
  # Moodle keeps no state in php-fpm between requests (no persistent connections, file caches in
  # moodledata), so the daemons keep running; WITH (FORCE) ends a connection of a request in flight.
  psql_admin -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)"
  psql_admin -c "CREATE DATABASE $db_name TEMPLATE $db_template OWNER $db_user"
  rm -rf "$data.old"; mv "$data" "$data.old"
  cp -a "$snap/moodledata" "$data"
  rm -rf "$data.old"
  log "reset to the snapshot in $(took "$t0")"
}

site_status() { curl -s -o /dev/null -w '%{http_code}' "$url/login/index.php" || true; }

check_site() {
  local code_http; code_http="$(site_status)"
  [ "$code_http" = 200 ] || die "$url/login/index.php answered HTTP $code_http (logs in $logs)"
}

# A site left broken by a run that was killed half-way (a machine restarted during a test leaves
# PostgreSQL's sequences behind its rows: "Error writing to database"): every run resets the site
# anyway, so start puts the snapshot back rather than failing CI.
check_or_restore_site() {
  local code_http; code_http="$(site_status)"
  [ "$code_http" = 200 ] && return 0
  [ -f "$snap/.complete" ] || die "$url/login/index.php answered HTTP $code_http (logs in $logs)"
  log "$url/login/index.php answered HTTP $code_http: putting the site back to its snapshot"
  do_reset
  check_site
}

stop_fpm() {
  if pid_running "$run/php-fpm.pid"; then
    local pid; pid="$(cat "$run/php-fpm.pid")"
    kill -QUIT "$pid"
    local i; for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "php-fpm stopped"
  fi
  rm -f "$run/php-fpm.sock"
}

do_stop() {
  if pid_running "$run/nginx.pid"; then
    local pid; pid="$(cat "$run/nginx.pid")"
    nginx -e "$logs/nginx-error.log" -c "$etc/nginx.conf" -s quit
    local i; for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "nginx stopped"
  fi
  stop_fpm
  if [ -f "$pgdata/PG_VERSION" ] && pg_running; then
    as_postgres "$(pg_bindir)/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null
    log "PostgreSQL stopped"
  fi
}

# $1 = "nocheck": the caller checks the site itself (a reset first puts back a site whose login page a
# test redirected elsewhere, e.g. with alternateloginurl).
do_start() {
  need_root
  local t0; t0="$(now)"
  ensure_packages
  ensure_traversable
  ensure_code
  write_configs
  ensure_postgres
  ensure_fpm
  ensure_nginx
  install_site
  [ "${1:-}" = nocheck ] || check_or_restore_site
  log "up at $url in $(took "$t0")"
}

print_env() {
  echo "MOODLE_URL=$url"
  echo "MOODLE_ADMIN_USER=$admin_user"
  echo "MOODLE_ADMIN_PASSWORD=$admin_password"
  echo "MOODLE_ALLOW_HTTP=true"
}

do_status() {
  print_env
  echo "code root:   $code"
  echo "dataroot:    $data"
  echo "postgres:    127.0.0.1:$pg_port, socket dir $pgrun, database $db_name (user $db_user), template $db_template"
  echo "psql:        runuser -u postgres -- $(pg_bindir)/psql -h $pgrun -p $pg_port -d $db_name"
  echo "moodle CLI:  $(moodle_cli_cmd) admin/cli/cfg.php --name=enablewebservices"
  echo "logs:        $logs"
  pg_running && echo "postgres: running" || echo "postgres: stopped"
  pid_running "$run/php-fpm.pid" && echo "php-fpm: running" || echo "php-fpm: stopped"
  pid_running "$run/nginx.pid" && echo "nginx: running" || echo "nginx: stopped"
}

# One statement, tuples only and unaligned, so a caller can wrap it in json_agg and parse the line.
do_sql() {
  as_postgres "$(pg_bindir)/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$pgrun" -p "$pg_port" -d "$db_name" -c "$1"
}

all_running() { pg_running && pid_running "$run/php-fpm.pid" && pid_running "$run/nginx.pid"; }

case "${1:-}" in
  start) do_start ;;
  running) all_running ;;
  sql) need_root; [ -n "${2:-}" ] || { echo "usage: $0 sql 'SELECT …'" >&2; exit 2; }; do_sql "$2" ;;
  cli) need_root; shift; [ $# -gt 0 ] || { echo "usage: $0 cli admin/cli/cfg.php --name=…" >&2; exit 2; }; moodle_cli "$@" ;;
  reset) need_root; do_start nocheck; do_reset; check_site ;;
  stop) need_root; do_stop ;;
  env) print_env ;;
  accesslog) echo "$logs/nginx-access.log" ;;
  status) do_status ;;
  *) echo "usage: $0 start|reset|stop|env|accesslog|status|running|sql|cli" >&2; exit 2 ;;
esac
