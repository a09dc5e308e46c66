// A throw-away self-signed certificate for 127.0.0.1, made with the openssl command line tool, so a
// test can serve the Moodle double over https and point moodle:caCertPath at the certificate.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface SelfSignedCert {
  key: string;
  cert: string;
  /** The certificate as a file, for moodle:caCertPath. */
  certPath: string;
  dispose(): void;
}

export function selfSignedCert(): SelfSignedCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpi-tls-"));
  const keyPath = path.join(dir, "key.pem");
  const certPath = path.join(dir, "cert.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
    "-keyout", keyPath, "-out", certPath,
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
  ], { stdio: "ignore" });
  return {
    key: fs.readFileSync(keyPath, "utf8"),
    cert: fs.readFileSync(certPath, "utf8"),
    certPath,
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
