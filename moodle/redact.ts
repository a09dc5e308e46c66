// Secrets that can appear in URLs, bodies and Moodle's own messages. Everything that leaves the client
// (errors, log lines) goes through redact(); passwords are registered by the session at runtime.

const registered = new Set<string>();

/** Remembers a literal secret (e.g. the admin password) so redact() hides it wherever it appears. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) registered.add(secret);
}

export function redact(text: string): string {
  let out = text;
  for (const s of registered) out = out.split(s).join("[REDACTED]");
  return out
    .replace(/\b(sesskey|wstoken|token|logintoken|password|privatetoken)(["']?\s*[=:]\s*["']?)[^&\s"',;}]+/gi, "$1$2[REDACTED]")
    .replace(/(MoodleSession[^=;\s]*=)[^;\s]+/g, "$1[REDACTED]")
    .replace(/(MOODLEID1?_[^=;\s]*=)[^;\s]+/g, "$1[REDACTED]")
    .replace(/\b[0-9a-f]{32}\b/gi, "[REDACTED-TOKEN]");
}
