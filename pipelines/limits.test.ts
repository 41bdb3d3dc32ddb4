import { expect, it } from 'vitest';
import { defaultParseThreads } from './limits.ts';

it('leaves a core each to the main thread and the store, and takes at most four', () => {
  expect([1, 2, 3, 4, 6, 8, 64].map((cores) => defaultParseThreads(cores))).toEqual([1, 1, 1, 2, 4, 4, 4]);
});
