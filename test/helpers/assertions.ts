import assert from 'node:assert/strict';
import { errorCodes, SANDBOX_UNAVAILABLE, ServiceError } from '../../contract';
import type { HttpAnswer } from '../../dev/http';

/**
 * Every error answer: the contract's ErrorResponse shape, a sentence a person can act on, the
 * request id matching the header, no stack trace, and (when given) the offending field named both
 * in `details` and in the sentence.
 */
export function assertErrorResponse(answer: HttpAnswer, status: number, code: string, field?: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.code, code);
  assert.ok(errorCodes.includes(answer.body.code));
  assert.equal(typeof answer.body.error, 'string');
  assert.ok(answer.body.error.length > 10);
  assert.ok(!Number.isNaN(Date.parse(answer.body.timestamp)));
  assert.equal(answer.body.requestId, answer.headers.get('x-request-id'));
  assert.doesNotMatch(JSON.stringify(answer.body), /\n\s+at |node_modules|\.ts:\d+/);
  if (field) {
    const fields = JSON.stringify(answer.body.details);
    assert.ok(fields.includes(field), `details name ${field}: ${fields}`);
    assert.ok(answer.body.error.includes(field), `error names ${field}: ${answer.body.error}`);
  }
}

/** The sandbox refused to start, and said why: nothing ran outside it. */
export function rejectsSandboxUnavailable(promise: Promise<unknown>, message: RegExp): Promise<void> {
  return assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ServiceError, String(error));
    assert.equal(error.code, SANDBOX_UNAVAILABLE);
    assert.match(error.message, message);
    return true;
  });
}
