#!/usr/bin/env node
// `corvid` admin CLI entry point: loads the TypeScript implementation through tsx.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./corvid-cli.ts");
process.exitCode = await main(process.argv.slice(2));
