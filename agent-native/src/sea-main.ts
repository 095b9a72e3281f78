// Entry of the single executable (bundled to CommonJS by scripts/build-sea.ts): no top-level await there.
import { runCli } from "./cli.ts";

void runCli(process.argv.slice(2));
