// Failures are classified by their fields, so an error that crossed a queue (or comes from another
// module's class) is judged the same way as the original.
import { UnrecoverableError } from 'bullmq';
import { expect, it } from 'vitest';
import { describeFailure, forQueue } from './failures.ts';

it('treats retryable: false as terminal and everything else as transient', () => {
  expect(describeFailure(Object.assign(new Error('bad page'), { code: 'E_PAYLOAD_MALFORMED', retryable: false }))).toEqual({ code: 'E_PAYLOAD_MALFORMED', message: 'bad page', retryable: false });
  expect(describeFailure(Object.assign(new Error('503'), { code: 'E_PROVIDER_UNAVAILABLE', retryable: true })).retryable).toBe(true);
  // A database or network error says nothing: worth another attempt.
  expect(describeFailure(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }))).toEqual({ code: 'ECONNRESET', message: 'connection reset', retryable: true });
  expect(describeFailure({ code: 'E_PROVIDER_REJECTED', retryable: false, message: 'plain object' })).toMatchObject({ code: 'E_PROVIDER_REJECTED', retryable: false });
  expect(describeFailure('just a string')).toMatchObject({ code: 'Error', message: 'just a string', retryable: true });
});

it('hands terminal failures to BullMQ as UnrecoverableError, keeping the code in the message', () => {
  const terminal = forQueue({ code: 'E_PROVIDER_REJECTED', message: '404', retryable: false });
  expect(terminal).toBeInstanceOf(UnrecoverableError);
  expect(terminal.message).toBe('E_PROVIDER_REJECTED: 404');
  const transient = forQueue({ code: 'E_PROVIDER_UNAVAILABLE', message: '503', retryable: true });
  expect(transient).not.toBeInstanceOf(UnrecoverableError);
  expect(transient).toMatchObject({ message: 'E_PROVIDER_UNAVAILABLE: 503', code: 'E_PROVIDER_UNAVAILABLE' });
});
