import { expect, it } from 'vitest';
import { beijingDayStart, grantEnd, grantStart } from './days.ts';

it('reads a bare date as a whole day in Beijing time (UTC+8), worked out by hand', () => {
  expect(beijingDayStart('2027-06-30')).toBe('2027-06-29T16:00:00.000Z');
  expect(grantStart('2027-06-30')).toBe('2027-06-29T16:00:00.000Z');
  // "until 2027-06-30" lasts through 23:59:59.999 of that day in Beijing.
  expect(grantEnd('2027-06-30')).toBe('2027-06-30T16:00:00.000Z');
  expect(grantEnd('2027-12-31')).toBe('2027-12-31T16:00:00.000Z');
  expect(grantEnd('2028-02-28')).toBe('2028-02-28T16:00:00.000Z');
  expect(grantEnd('2028-02-29')).toBe('2028-02-29T16:00:00.000Z');
});

it('keeps an instant as given', () => {
  expect(grantEnd('2027-06-30T08:00:00+08:00')).toBe('2027-06-30T00:00:00.000Z');
  expect(grantStart('2027-06-30T00:00:00Z')).toBe('2027-06-30T00:00:00.000Z');
});
