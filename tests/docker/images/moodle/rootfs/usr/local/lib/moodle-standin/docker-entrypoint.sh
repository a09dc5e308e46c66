#!/bin/bash
# Stand-in for erseco/alpine-php-webserver's entrypoint (its role, not its code): run every
# executable script in /docker-entrypoint-init.d in order and stop the container when one fails;
# then run php-fpm and nginx in the foreground until one of them ends or the container is stopped.
echo "Starting startup scripts in /docker-entrypoint-init.d ..."
for script in $(find /docker-entrypoint-init.d/ -executable -type f | sort); do
  echo >&2 "*** Running: $script"
  "$script" || { rc=$?; echo >&2 "*** Failed with return value: $rc"; exit "$rc"; }
done
echo "Finished startup scripts in /docker-entrypoint-init.d"

php-fpm8.2 --nodaemonize --fpm-config /etc/php/8.2/fpm/php-fpm.conf &
nginx -g 'daemon off;' &
trap 'kill -TERM $(jobs -p) 2>/dev/null' TERM INT HUP QUIT
# Whichever ends first (or a stop signal) ends the container.
wait -n
kill -TERM $(jobs -p) 2>/dev/null
wait
echo "shutting down container"
