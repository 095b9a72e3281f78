// `npm run build:extension`: stable key → production build → zip → CRX (when a Chromium binary is available).
import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const extensionDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const keysDir = path.join(extensionDir, "keys");
const privateKeyFile = path.join(keysDir, "private-key.pem");
const outputDir = path.join(extensionDir, ".output");

/** The extension ID Chrome derives from a public key: SHA-256 of the DER SPKI, first 32 hex digits mapped 0-f → a-p. */
function extensionIdFromSpki(spkiDer: Buffer): string {
  return [...createHash("sha256").update(spkiDer).digest("hex").slice(0, 32)].map((digit) => String.fromCharCode(97 + parseInt(digit, 16))).join("");
}

function ensureKey(): string {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  if (!existsSync(privateKeyFile)) {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(privateKeyFile, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    console.log(`new signing key ${path.relative(extensionDir, privateKeyFile)} (keep it: it fixes the extension ID)`);
  }
  const spki = createPublicKey(readFileSync(privateKeyFile)).export({ type: "spki", format: "der" });
  writeFileSync(path.join(keysDir, "public-key.b64"), spki.toString("base64"));
  const id = extensionIdFromSpki(spki);
  writeFileSync(path.join(keysDir, "extension-id.txt"), `${id}\n`);
  return id;
}

function run(command: string, args: string[]): void {
  execFileSync(command, args, { cwd: extensionDir, stdio: "inherit" });
}

function findChromium(): string | undefined {
  return [process.env.CHROMIUM_PATH, "/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/google-chrome"].find(
    (candidate): candidate is string => candidate !== undefined && existsSync(candidate),
  );
}

const id = ensureKey();
run("npx", ["wxt", "build"]);
run("npx", ["wxt", "zip"]);
const zip = readdirSync(outputDir).find((name) => name.endsWith("-chrome.zip"));
const chromium = findChromium();
if (chromium) {
  const unpacked = path.join(outputDir, "chrome-mv3");
  execFileSync(chromium, ["--headless", "--no-sandbox", `--pack-extension=${unpacked}`, `--pack-extension-key=${privateKeyFile}`], { stdio: "inherit" });
  const crx = path.join(outputDir, `corvid-extension-${id}.crx`);
  renameSync(`${unpacked}.crx`, crx);
  console.log(`extension id ${id}\nzip ${zip ? path.join(outputDir, zip) : "(missing)"}\ncrx ${crx}`);
} else {
  console.log(`extension id ${id}\nzip ${zip ? path.join(outputDir, zip) : "(missing)"}\nno Chromium found (set CHROMIUM_PATH) so no CRX was packed`);
}
