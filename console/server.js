// Production server: apply migrations, serve the Remix build with Express over HTTP or HTTPS
// (own CA, generated on first use), and run first start on an empty database.
//   HOST (default 127.0.0.1), PORT (default 3000), CORVID_DATA_DIR, DATABASE_URL,
//   CORVID_TLS=1 to serve HTTPS, CORVID_TLS_HOSTNAMES (extra names for the certificate), CORVID_BEHIND_TLS_PROXY=1
//   (plain HTTP behind a TLS proxy; the console CA is still created, for console attestation),
//   CORVID_PUBLIC_URL (base URL printed in links), CORVID_ADMIN_EMAIL (first administrator),
//   CORVID_BUILD_DIR (the Remix build, default ./build).
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequestHandler } from "@remix-run/express";
import express from "express";
import { resolveDataDir, resolveDatabaseUrl } from "./db/config.js";
import { migrate } from "./db/migrator.js";

const consoleDir = path.dirname(fileURLToPath(import.meta.url));

function fail(message) {
  console.error(`corvid: ${message}`);
  process.exit(1);
}

const openssl = (tlsDir, ...args) => execFileSync("openssl", args, { cwd: tlsDir, stdio: ["ignore", "ignore", "pipe"] });
const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

function opensslProblem(error, tlsDir) {
  if (error.code === "ENOENT") return `the \`openssl\` command is needed to create the console's CA (install openssl) or put ca.crt and ca.key into ${tlsDir}`;
  return error.stderr?.toString() || error.message;
}

/**
 * The console CA in <data>/tls (ca.crt, ca.key), made with the openssl command once and never replaced: TLS
 * certificates chain to it and responders pin it (the extension through console attestation, ADR 006).
 * Returns its fingerprint: SHA-256 of the certificate's DER bytes, lower-case hex.
 */
function ensureCa(tlsDir) {
  const certFile = path.join(tlsDir, "ca.crt");
  if (!existsSync(certFile) || !existsSync(path.join(tlsDir, "ca.key"))) {
    mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
    openssl(tlsDir, "req", "-x509", ...EC_KEY, "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj", "/CN=Corvid console CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  }
  const pem = readFileSync(certFile, "utf8");
  return { pem, fingerprint: new X509Certificate(pem).fingerprint256.replaceAll(":", "").toLowerCase() };
}

/** The CA plus a server certificate signed by it, in <data>/tls. */
function ensureTlsFiles(tlsDir, hostnames) {
  const files = { cert: path.join(tlsDir, "server.crt"), key: path.join(tlsDir, "server.key") };
  try {
    const ca = ensureCa(tlsDir);
    if (!existsSync(files.cert) || !existsSync(files.key)) {
      openssl(tlsDir, "req", ...EC_KEY, "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${hostnames[0]}`);
      const altNames = hostnames.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(",");
      writeFileSync(path.join(tlsDir, "server.ext"), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${altNames}\n`);
      openssl(tlsDir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "825", "-extfile", "server.ext");
    }
    return { key: readFileSync(files.key), cert: readFileSync(files.cert), ca: ca.pem, caFingerprint: ca.fingerprint };
  } catch (error) {
    fail(`CORVID_TLS=1: could not create TLS certificates: ${opensslProblem(error, tlsDir)}`);
  }
}

function isLoopbackHost(host) {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function main() {
  const host = process.env.HOST || "127.0.0.1";
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a number from 0 to 65535, got ${process.env.PORT}`);
  const tlsEnabled = /^(1|true|on|yes)$/i.test(process.env.CORVID_TLS ?? "");
  // Sessions, deployment tokens and evidence must not cross a network in clear text: plain HTTP is for loopback,
  // unless an operator states that a TLS-terminating proxy sits in front (CORVID_BEHIND_TLS_PROXY=1).
  const behindTlsProxy = /^(1|true|on|yes)$/i.test(process.env.CORVID_BEHIND_TLS_PROXY ?? "");
  if (!tlsEnabled && !behindTlsProxy && !isLoopbackHost(host)) {
    fail(`refusing to serve plain HTTP on ${host}: set CORVID_TLS=1 (HTTPS with the console's own CA), or CORVID_BEHIND_TLS_PROXY=1 if a TLS proxy terminates connections, or listen on 127.0.0.1`);
  }
  const dataDir = resolveDataDir(process.env);
  mkdirSync(dataDir, { recursive: true });
  // Pinned for the app code: inside the bundled build, db/config.js cannot find console/ by itself.
  process.env.CORVID_DATA_DIR = dataDir;
  const databaseUrl = resolveDatabaseUrl(process.env);
  process.env.DATABASE_URL = databaseUrl;

  const migration = await migrate({ url: databaseUrl });
  if (migration.applied.length > 0) console.log(`corvid: applied ${migration.applied.length} migration(s) to the ${migration.provider} database`);

  const tlsDir = path.join(dataDir, "tls");
  let tls = null;
  let identityFingerprint = null;
  if (tlsEnabled) {
    const extra = (process.env.CORVID_TLS_HOSTNAMES ?? "").split(",").map((h) => h.trim()).filter(Boolean);
    const names = [...new Set([...(host === "0.0.0.0" || host === "::" ? [] : [host]), "localhost", "127.0.0.1", ...extra])];
    tls = ensureTlsFiles(tlsDir, names);
    process.env.CORVID_CA_FINGERPRINT = tls.caFingerprint;
    identityFingerprint = tls.caFingerprint;
  } else if (behindTlsProxy || existsSync(path.join(tlsDir, "ca.crt"))) {
    // Behind a TLS proxy the CA serves attestation only: browser responders pin it instead of the proxy's certificate.
    // Its absence must not stop the console; pinned browser responders are then refused with a clear message.
    try {
      identityFingerprint = ensureCa(tlsDir).fingerprint;
    } catch (error) {
      console.error(`corvid: no console CA, so browser responders with a caFingerprint will be refused: ${opensslProblem(error, tlsDir)}`);
    }
  }

  const buildDir = path.resolve(consoleDir, process.env.CORVID_BUILD_DIR ?? "build");
  const buildPath = path.join(buildDir, "server/index.js");
  if (!existsSync(buildPath)) fail(`no build found at ${buildPath}: run \`npm run build -w @corvid/console\` first`);
  const build = await import(pathToFileURL(buildPath).href);

  const app = express();
  app.disable("x-powered-by");
  // redirect: false, or the Assets page (/assets) would be redirected to the build's assets folder.
  app.use("/assets", express.static(path.join(buildDir, "client/assets"), { immutable: true, maxAge: "1y", redirect: false }));
  app.use(express.static(path.join(buildDir, "client"), { maxAge: "1h", redirect: false }));
  app.use((req, _res, next) => {
    // The only trustworthy client address is the socket's; always overwrite what the client sent.
    req.headers["x-corvid-client-ip"] = req.socket.remoteAddress ?? "unknown";
    next();
  });
  app.all("*", createRequestHandler({ build }));

  // The CA travels in the chain so responders can check it against the fingerprint they pinned at enrollment.
  const server = tls ? https.createServer({ key: tls.key, cert: `${tls.cert.toString().trimEnd()}\n${tls.ca}` }, app) : http.createServer(app);
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const actualPort = server.address().port;
  const scheme = tls ? "https" : "http";
  const displayHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const publicUrl = (process.env.CORVID_PUBLIC_URL || `${scheme}://${displayHost}:${actualPort}`).replace(/\/+$/, "");

  const banner = await build.entry.module.runFirstStart({ publicUrl, adminEmail: process.env.CORVID_ADMIN_EMAIL || "admin@corvid.local" });
  if (banner) console.log(banner);
  console.log(`corvid: console listening on ${scheme}://${displayHost}:${actualPort} (data: ${dataDir}, database: ${migration.provider})`);
  if (identityFingerprint) console.log(`corvid: CA fingerprint (sha256) ${identityFingerprint}; CA certificate ${path.join(tlsDir, "ca.crt")}`);
  console.log(`corvid: log in at ${publicUrl}/login`);

  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}

main().catch((error) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
