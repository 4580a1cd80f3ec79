#!/usr/bin/env node
/** The `openssh-mux` command (see `openssh-mux --help` and docs/fleet.md). */
import { cli } from './run.js';

process.exitCode = await cli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
