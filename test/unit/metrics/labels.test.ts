import { DelayedError, RateLimitError, UnrecoverableError, WaitingChildrenError } from 'bullmq';
import { boundedLabel, jobOutcome, OVERFLOW_LABEL, splitRoute, statusClass } from '../../../src/metrics';

describe('metric labels', () => {
  it('classes HTTP statuses, and no answer as none', () => {
    expect([200, 201, 204, 301, 400, 404, 409, 429, 500, 503].map(statusClass)).toEqual([
      '2xx',
      '2xx',
      '2xx',
      '3xx',
      '4xx',
      '4xx',
      '4xx',
      '4xx',
      '5xx',
      '5xx',
    ]);
    expect(statusClass(undefined)).toBe('none');
    expect(statusClass(0)).toBe('none');
    expect(statusClass(42.5)).toBe('none');
    expect(statusClass(600)).toBe('none');
  });

  it("splits the client's operation name into method and path template", () => {
    expect(splitRoute('PUT', 'PUT /UnitIdEntries/{id}')).toEqual({
      method: 'PUT',
      path: '/UnitIdEntries/{id}',
    });
    expect(splitRoute('get', 'GET /UnitSync/Status')).toEqual({ method: 'GET', path: '/UnitSync/Status' });
    expect(splitRoute('GET', '/Units')).toEqual({ method: 'GET', path: '/Units' });
    expect(splitRoute('GET', 'GET ')).toEqual({ method: 'GET', path: '/' });
  });

  it('names job outcomes from what processors return', () => {
    expect(jobOutcome({ key: 'pms/1', outcome: 'applied' })).toBe('applied');
    expect(jobOutcome({ key: 'pms/1', outcome: 'revoked' })).toBe('revoked');
    expect(jobOutcome({ unitId: 1, result: 'no-changes', pushes: 1, confirmed: 0 })).toBe('no-changes');
    expect(jobOutcome({ source: 'airbnb', outcome: 'suspicious' })).toBe('suspicious');
    expect(jobOutcome({ slot: null, drifts: 3 })).toBe('completed');
    expect(jobOutcome(undefined)).toBe('completed');
    // A value we do not know stays bounded.
    expect(jobOutcome({ outcome: 'whatever-came-next' })).toBe(OVERFLOW_LABEL);
  });

  it("names thrown job endings by BullMQ's treatment of them", () => {
    expect(jobOutcome(new DelayedError())).toBe('delayed');
    expect(jobOutcome(new WaitingChildrenError())).toBe('delayed');
    expect(jobOutcome(new UnrecoverableError('bad input'))).toBe('unrecoverable');
    expect(jobOutcome(new RateLimitError())).toBe('rate-limited');
    expect(jobOutcome(new Error('FlexyKey down'))).toBe('error');
    expect(jobOutcome(new TypeError('bug'))).toBe('error');
  });

  it('caps the distinct values of a label', () => {
    const label = boundedLabel(2);
    expect(['a', 'b', 'a', 'c', 'b', 'd'].map(label)).toEqual([
      'a',
      'b',
      'a',
      OVERFLOW_LABEL,
      'b',
      OVERFLOW_LABEL,
    ]);
  });
});
