#!/usr/bin/env node
// Development entry point: loads oclif.devPlugins (NODE_ENV=development) and uses compiled output
// (run `npx tsc -b packages/core` first; no tsx is installed in this repository).
import { execute, settings } from '@oclif/core';
import { loadOptions } from './first-party.js';

process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= '1';
settings.enableAutoTranspile = false;
await execute({ development: true, loadOptions: loadOptions(import.meta.url) });
