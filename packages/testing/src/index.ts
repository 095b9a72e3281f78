export { CHROMIUM_ARGS, findChromium } from "./chromium.ts";
export { authenticatorCode } from "./authenticator.ts";
export { ChunkHoldingProxy, type ChunkRequest } from "./chunk-holding-proxy.ts";
