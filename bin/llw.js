#!/usr/bin/env node
// The workshop CLI. Runs the compiled entry point; `npm ci` builds it (prepare script).
import { main } from "../dist/cli.js";

process.exitCode = await main(process.argv.slice(2));
