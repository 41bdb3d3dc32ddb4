// The rules, case by case, with the expected event worked out by hand from the list.
import { describe, expect, it } from 'vitest';
import { classifyArrears, classifyRecord, expiringWindow, withdrawalNeedsHold } from './classify.ts';

const today = '2026-12-05';

describe('classifyRecord', () => {
  it.each([
    ['penalty', 'inserted', {}, undefined, 'penalty.created', 'high'],
    ['penalty', 'updated', {}, {}, 'record.updated', 'medium'],
    ['penalty', 'withdrawn', {}, undefined, 'record.withdrawn', 'low'],
    ['enforcement', 'inserted', {}, undefined, 'enforcement.created', 'high'],
    ['licensing', 'inserted', { status: '吊销' }, undefined, 'licence.revoked', 'high'],
    ['licensing', 'updated', { status: '撤销' }, { status: '有效' }, 'licence.revoked', 'high'],
    ['licensing', 'updated', { status: '撤回' }, { status: '吊销' }, 'record.updated', 'low'],
    ['licensing', 'updated', { status: '有效' }, { status: '有效' }, 'record.updated', 'low'],
    ['licensing', 'withdrawn', { status: '有效' }, undefined, 'record.withdrawn', 'medium'],
    ['agri', 'updated', {}, {}, 'record.updated', 'low'],
  ] as const)('%s %s %j (was %j) -> %s %s', (category, kind, fields, oldFields, type, severity) => {
    expect(classifyRecord({ category, kind, fields, oldFields }, today)).toEqual({ type, severity });
  });

  it.each([
    ['licensing', 'inserted', { status: '有效' }],
    ['licensing', 'inserted', { status: '注销' }],
    ['water', 'inserted', {}],
    ['water', 'updated', {}],
    ['rnd', 'inserted', {}],
  ] as const)('%s %s %j -> no event', (category, kind, fields) => {
    expect(classifyRecord({ category, kind, fields, oldFields: {} }, today)).toBeUndefined();
  });

  it('a penalty whose 公示截止期 has passed raises nothing, created, updated or withdrawn; one ending today still does', () => {
    for (const kind of ['inserted', 'updated', 'withdrawn'] as const) {
      expect(classifyRecord({ category: 'penalty', kind, fields: { publicity_end: '2026-12-04' }, oldFields: {} }, today)).toBeUndefined();
    }
    expect(classifyRecord({ category: 'penalty', kind: 'inserted', fields: { publicity_end: today } }, today)?.type).toBe('penalty.created');
  });
});

it('classifyArrears: only a change of 当前是否欠费 is an event; a new account already in arrears has started', () => {
  expect(classifyArrears(false, true)?.type).toBe('arrears.started');
  expect(classifyArrears(null, true)?.type).toBe('arrears.started');
  expect(classifyArrears(true, false)?.type).toBe('arrears.cleared');
  expect(classifyArrears(true, true)).toBeUndefined();
  expect(classifyArrears(false, false)).toBeUndefined();
  expect(classifyArrears(null, false)).toBeUndefined();
  expect(classifyArrears(true, null)).toBeUndefined();
});

it('withdrawalNeedsHold: more than the share of the deliverer\'s records, not exactly it', () => {
  expect(withdrawalNeedsHold(2, 10, 0.2)).toBe(false);
  expect(withdrawalNeedsHold(3, 10, 0.2)).toBe(true);
  expect(withdrawalNeedsHold(0, 0, 0.2)).toBe(false);
  expect(withdrawalNeedsHold(1, 1, 0.2)).toBe(true);
});

it('expiringWindow, by the calendar', () => {
  expect(expiringWindow('2026-12-05', 30)).toEqual({ from: '2026-12-05', to: '2027-01-04' });
  expect(expiringWindow('2028-02-28', 1)).toEqual({ from: '2028-02-28', to: '2028-02-29' });
});
