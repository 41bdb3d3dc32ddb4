#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so the repo needs no build step before `npx credit-etl`.
import { register } from 'tsx/esm/api';
register();
await import('../cli/main.ts');
