import { existsSync } from "node:fs";

/** Where Chromium or Chrome usually lives; `CHROME_PATH` wins. */
const KNOWN_PATHS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/opt/google/chrome/chrome",
  "/snap/bin/chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

/**
 * Browser tests never skip silently: without a browser they fail with instructions.
 */
export function findChromium(): string {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROME_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const found = KNOWN_PATHS.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      "No Chromium or Chrome found for the browser end-to-end tests. Install one " +
        "(Debian/Ubuntu: `sudo apt-get install chromium`) or set CHROME_PATH to the browser executable.",
    );
  }
  return found;
}

/** Flags for a headless browser on a machine with no outside network. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];
