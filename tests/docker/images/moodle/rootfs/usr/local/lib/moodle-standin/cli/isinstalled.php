<?php
// Exit 0 when the database has no Moodle tables yet, 2 when it has (the contract of
// erseco/alpine-moodle's isinstalled.php, which 02-configure-moodle.sh branches on).
define('CLI_SCRIPT', true);
require('/var/www/html/config.php');
exit($DB->get_tables() ? 2 : 0);
