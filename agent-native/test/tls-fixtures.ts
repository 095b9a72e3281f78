import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  caPem: string;
  caFingerprint: string;
  serverKey: string;
  /** The server certificate followed by its CA, as a console should send it. */
  serverCert: string;
  serverLeafOnly: string;
}

/** A private CA and a server certificate for 127.0.0.1/localhost, made with the openssl CLI for each test run. */
export function createTestPki(name: string): TestPki {
  const dir = mkdtempSync(join(tmpdir(), `corvid-pki-${name}-`));
  try {
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", `/CN=Corvid Test CA ${name}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
    writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf");
    const caPem = readFileSync(join(dir, "ca.pem"), "utf8");
    const leaf = readFileSync(join(dir, "server.pem"), "utf8");
    return {
      caPem,
      serverLeafOnly: leaf,
      caFingerprint: createHash("sha256").update(new X509Certificate(caPem).raw).digest("hex"),
      serverKey: readFileSync(join(dir, "server.key"), "utf8"),
      // The chain the console sends: its certificate, then its CA.
      serverCert: leaf + caPem,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
