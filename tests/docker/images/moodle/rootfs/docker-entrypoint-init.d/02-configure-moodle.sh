#!/bin/sh
# Stand-in for erseco/alpine-moodle's 02-configure-moodle.sh (written for this test image; same
# steps and order, same environment variables): wait for the database, PRE_CONFIGURE_COMMANDS,
# config.php from admin/cli/install.php when missing, the Moodle 5.1+ public/ switch, then install
# (first start) or admin update + upgrade (later starts), then POST_CONFIGURE_COMMANDS. Any failing
# step stops the container start (set -e), as in the original.
set -eu

config_file=/var/www/html/config.php
helpers=/usr/local/lib/moodle-standin/cli
php_cli() { php -d max_input_vars=10000 "$@"; }

echo "Waiting for $DB_HOST:$DB_PORT to be ready..."
until nc -z -w 1 "$DB_HOST" "$DB_PORT" >/dev/null 2>&1; do sleep 1; done
echo "$DB_HOST is ready"

if [ -n "${PRE_CONFIGURE_COMMANDS:-}" ]; then
  echo "Executing pre-configure commands..."
  eval "$PRE_CONFIGURE_COMMANDS"
fi

if [ ! -f "$config_file" ]; then
  echo "Generating config.php file..."
  php_cli /var/www/html/admin/cli/install.php \
    --lang="$MOODLE_LANGUAGE" --wwwroot="$SITE_URL" --dataroot=/var/www/moodledata/ \
    --dbtype="$DB_TYPE" --dbname="$DB_NAME" --prefix="$DB_PREFIX" --dbhost="$DB_HOST" \
    --dbuser="$DB_USER" --dbpass="$DB_PASS" --dbport="$DB_PORT" \
    --fullname="$MOODLE_SITENAME" --shortname=moodle --adminuser="$MOODLE_USERNAME" \
    --adminpass="$MOODLE_PASSWORD" --adminemail="$MOODLE_EMAIL" \
    --non-interactive --agree-license --skip-database --allow-unstable
fi

# Moodle 5.1+ serves public/; the original switches nginx there and runs composer for it.
# This image has no composer, so a public/ folder on this 5.0 tree fails the start, as the
# original fails on a 5.0 tree that something else created public/ in.
if [ -d /var/www/html/public ]; then
  sed -i 's|root .*;|root /var/www/html/public;|' /etc/nginx/nginx.conf
  echo "Running composer install for Moodle 5.1+..."
  composer install --no-dev --classmap-authoritative
fi

# Values that follow the environment on every start.
set_config() {
  sed -i "s|^\(\$CFG->$1 *= *\)[^;]*;|\1'$2';|" "$config_file"
}
set_config wwwroot "$SITE_URL"
set_config dbhost "$DB_HOST"
set_config dbname "$DB_NAME"
set_config dbuser "$DB_USER"
set_config dbpass "$DB_PASS"

configure_settings() {
  echo "Configuring settings..."
  php_cli /var/www/html/admin/cli/cfg.php --name=smtphosts --set="$SMTP_HOST:$SMTP_PORT"
  php_cli /var/www/html/admin/cli/cfg.php --name=smtpuser --set="$SMTP_USER"
  php_cli /var/www/html/admin/cli/cfg.php --name=smtppass --set="$SMTP_PASSWORD"
  php_cli /var/www/html/admin/cli/cfg.php --name=smtpsecure --set="$SMTP_PROTOCOL"
  php_cli /var/www/html/admin/cli/cfg.php --name=noreplyaddress --set="$MOODLE_MAIL_NOREPLY_ADDRESS"
  php_cli /var/www/html/admin/cli/cfg.php --name=emailsubjectprefix --set="$MOODLE_MAIL_PREFIX"
  if [ "${DEBUG:-false}" = true ]; then
    php_cli /var/www/html/admin/cli/cfg.php --name=debug --set=32767
    php_cli /var/www/html/admin/cli/cfg.php --name=debugdisplay --set=1
  else
    php_cli /var/www/html/admin/cli/cfg.php --name=debug --set=0
    php_cli /var/www/html/admin/cli/cfg.php --name=debugdisplay --set=0
  fi
}

set +e
php_cli "$helpers/isinstalled.php"
installed=$?
set -e
case "$installed" in
  0)
    echo "Installing database..."
    php_cli /var/www/html/admin/cli/install_database.php --lang="$MOODLE_LANGUAGE" \
      --adminuser="$MOODLE_USERNAME" --adminpass="$MOODLE_PASSWORD" --adminemail="$MOODLE_EMAIL" \
      --fullname="$MOODLE_SITENAME" --shortname=moodle --agree-license
    configure_settings
    ;;
  2)
    configure_settings
    echo "Upgrading admin user"
    php_cli "$helpers/update_admin_user.php" --username="$MOODLE_USERNAME" --password="$MOODLE_PASSWORD" --email="$MOODLE_EMAIL"
    if [ "${AUTO_UPDATE_MOODLE:-true}" = true ]; then
      echo "Upgrading moodle..."
      php_cli /var/www/html/admin/cli/maintenance.php --enable
      php_cli /var/www/html/admin/cli/upgrade.php --non-interactive --allow-unstable
      php_cli /var/www/html/admin/cli/maintenance.php --disable
    fi
    ;;
  *)
    echo "ERROR: could not determine whether Moodle is installed (isinstalled.php exited with $installed)" >&2
    exit 1
    ;;
esac

if [ -n "${POST_CONFIGURE_COMMANDS:-}" ]; then
  echo "Executing post-configure commands..."
  eval "$POST_CONFIGURE_COMMANDS"
fi
