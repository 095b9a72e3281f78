#!/usr/bin/env node
// Runs the TypeScript sources directly (workspace install); the single executable in dist/ needs no tsx.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../src/cli.ts");
await runCli(process.argv.slice(2));
