#!/usr/bin/env node
// Production entry point. Compiled output only (no TypeScript transpiling of plugins), and the
// first-party plugins of the monorepo are loaded when they are resolvable (see first-party.js).
import { execute, settings } from '@oclif/core';
import { loadOptions } from './first-party.js';

process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= '1';
settings.enableAutoTranspile = false;
await execute({ loadOptions: loadOptions(import.meta.url) });
// The command is done and its output written (stdout/stderr writes are synchronous on Linux for
// files and pipes). A timer or socket a plugin forgot must not keep the finished CLI alive.
process.exit(process.exitCode ?? 0);
