#!/usr/bin/env node
// Thin launcher so `npx leadbridge <command>` works after `npm install` without a build step:
// registers tsx and runs the TypeScript CLI.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/index.ts');
