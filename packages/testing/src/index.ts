export { CHROMIUM_ARGS, findChromium } from "./chromium.ts";
export { authenticatorCode } from "./authenticator.ts";
