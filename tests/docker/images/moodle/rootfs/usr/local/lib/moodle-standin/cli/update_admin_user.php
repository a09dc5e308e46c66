<?php
// Re-applies MOODLE_USERNAME / MOODLE_PASSWORD / MOODLE_EMAIL to the main admin on every start of
// an installed site, as erseco/alpine-moodle does (so a new admin password in the container's
// environment becomes the site's password).
define('CLI_SCRIPT', true);
require('/var/www/html/config.php');
require_once($CFG->libdir . '/clilib.php');
[$options] = cli_get_params(['username' => '', 'password' => '', 'email' => '']);
if ($options['username'] === '' || $options['password'] === '' || $options['email'] === '') {
    cli_error('username, password and email are required');
}
$admin = get_admin();
if (!$admin) {
    cli_error('no admin user found');
}
$admin->username = $options['username'];
$admin->password = hash_internal_user_password($options['password']);
$admin->email = $options['email'];
$DB->update_record('user', $admin);
echo "Admin user updated.\n";
