import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors';
import { MAX_BODY_DEPTH, parseQueryBody } from '../../src/query/parse-json';

// parseQueryBody validates with zod, which recurses once per level of `where`: a deep value
// must be refused before that, whoever calls it (the HTTP layer also checks the raw text).
function refusal(body: unknown): AppError {
  try {
    parseQueryBody(body);
  } catch (err) {
    return err as AppError;
  }
  throw new Error('parseQueryBody accepted the body');
}

describe('parseQueryBody on deeply nested values', () => {
  const cond = { field: 'first_name', operator: 'equals', value: 'a' };
  const nots = (n: number) => {
    let w: unknown = cond;
    for (let i = 0; i < n; i++) w = { not: w };
    return { where: w };
  };
  const arrays = (n: number) => {
    let w: unknown = [];
    for (let i = 0; i < n; i++) w = [w];
    return { where: w };
  };

  it.each([1_000, 10_000, 100_000])('where nested %i levels → invalid_body naming the limit, no stack overflow', (n) => {
    for (const body of [nots(n), arrays(n)]) {
      const err = refusal(body);
      expect(err).toBeInstanceOf(AppError);
      expect(err.code).toBe('invalid_body');
      expect(err.detail).toContain(`deeper than ${MAX_BODY_DEPTH} levels`);
    }
  });

  it('a body within the bound is parsed as before', () => {
    expect(parseQueryBody(nots(1)).where).toEqual([{ kind: 'cond', field: 'first_name', op: 'eq', value: 'a', not: true }]);
    expect(refusal(nots(8)).detail).toMatch(/nesting deeper than 4/);
  });
});
