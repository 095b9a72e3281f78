#!/usr/bin/env node
// `corvid-parse <format> FILE [--format jsonl|json|xml]`: the TypeScript CLI runs through tsx, which is
// resolved from this file's location so the command works from any directory.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
