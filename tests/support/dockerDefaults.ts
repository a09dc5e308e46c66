// What moodle:docker gives when only the plugin zip is set: the documented defaults (docs/docker.md),
// written out once for the suites that check them.
export function dockerDefaults(pluginZip: string) {
    return {
            image: "erseco/alpine-moodle:v5.0.9",
            databaseEngine: "postgres",
            databaseImage: "postgres:16-alpine",
            databaseName: "moodle",
            databaseUser: "moodle",
            hostPort: 8080,
            siteUrl: "http://localhost:8080",
            adminUser: "admin",
            adminEmail: "admin@example.com",
            siteName: "Moodle-Percipio",
            namePrefix: "moodle-percipio",
            networkName: "moodle-percipio-net",
            dbVolumeName: "moodle-percipio-db",
            dataVolumeName: "moodle-percipio-moodledata",
            pluginZip,
            moodleRoot: "/var/www/html",
            pluginDir: "/var/www/html/mod/percipio",
            readinessTimeoutSeconds: 900,
            retainVolumes: false,
    };
}
