// Regenerates src/data/malicious-extension-ids.json from palant/malicious-extensions-list (CC0-1.0, so it may ship),
// as found in the shared corpora: `npm run generate:malicious-list -w @corvid/extension`.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseExtensionIdList } from "../src/collectors/malicious-list.ts";

const extensionDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const source = path.resolve(extensionDir, "..", "../shared/corpora/browser-artifacts/malicious-extension-ids/palant-list.txt");
const ids = parseExtensionIdList(readFileSync(source, "utf8"));
const data = {
  source: "https://github.com/palant/malicious-extensions-list (list.txt, commit 5c291c609a3cfad0fb73ade98f7d331cf4a08666)",
  licence: "CC0-1.0",
  ids,
};
writeFileSync(path.join(extensionDir, "src/data/malicious-extension-ids.json"), `${JSON.stringify(data, null, 1)}\n`);
console.log(`${ids.length} extension ids`);
