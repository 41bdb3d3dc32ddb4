// Worker-thread entry: the worker's own module loader needs tsx registered before it can load .ts.
import { register } from 'tsx/esm/api';
register();
await import('./parse-worker.ts');
