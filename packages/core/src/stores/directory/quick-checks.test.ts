import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AGENT_ERROR_KINDS,
  HumanNeededSchema,
  TokenUsageSchema,
} from '../../model/agent-result.js';
import { StopReasonSchema } from '../../model/events.js';
import { ATTEMPT_OUTCOMES, LIMITS } from '../../model/kinds.js';
import { AttemptSchema } from '../../model/state.js';
import { ATTEMPT, type ProgressChecks, QUICK_CHECKS } from './quick-checks.js';

const ZOD: ProgressChecks = {
  attempt: AttemptSchema,
  tokens: TokenUsageSchema,
  question: HumanNeededSchema,
  stopReason: StopReasonSchema,
};

/** Values of every kind the schemas take, and the near misses around them. */
const scalar = fc.oneof(
  fc.constantFrom(
    ...AGENT_ERROR_KINDS,
    ...ATTEMPT_OUTCOMES,
    ...LIMITS,
    'completed',
    'paused',
    'stopped',
    'cancelled',
    'blocked',
    'needs-human',
    'interrupted',
    'nope',
    '',
  ),
  fc.string({ maxLength: 5 }),
  fc.constantFrom(0, -0, 1, -1, 1.5, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1e300, Number.NaN),
  fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 3 }),
);
/** A value right for `key`, often, else any value above. */
function near(key: string): fc.Arbitrary<unknown> {
  const right: Record<string, fc.Arbitrary<unknown>> = {
    n: fc.integer({ min: 1, max: 2 ** 53 - 1 }),
    pid: fc.oneof(fc.integer(), fc.constant(null)),
    exitCode: fc.oneof(fc.integer(), fc.constant(null)),
    signal: fc.oneof(fc.string(), fc.constant(null)),
    outcome: fc.constantFrom(...ATTEMPT_OUTCOMES),
    kind: fc.constantFrom(...AGENT_ERROR_KINDS),
    limit: fc.constantFrom(...LIMITS),
    counted: fc.boolean(),
    costEstimated: fc.boolean(),
    costFallback: fc.boolean(),
    options: fc.array(fc.string(), { maxLength: 3 }),
    error: record(
      ['kind', 'message', 'resetAt', 'retryAfterMs', 'exitCode', 'signal'],
      ['kind', 'message'],
    ),
  };
  const amount = fc.oneof(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }), fc.nat());
  for (const k of [
    'costUsd',
    'durationMs',
    'retryAfterMs',
    'input',
    'output',
    'cacheRead',
    'cacheCreation',
  ])
    right[k] = amount;
  return fc.oneof(
    { weight: 12, arbitrary: Object.hasOwn(right, key) ? right[key]! : fc.string() },
    { weight: 1, arbitrary: scalar },
  );
}

/** Maps with some of `keys` (and now and then one no schema has), each value near right. */
function record(
  keys: readonly string[],
  required: readonly string[] = [],
): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      fc.subarray([...keys]),
      fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom('extra', '__proto__') },
      ),
      fc.nat({ max: 20 }),
    )
    .chain(([some, extra, dropOne]) => {
      // The required keys nearly always; now and then one of them is left out.
      const present = [...new Set([...required.filter((_, i) => i !== dropOne), ...some])];
      if (extra) present.push(extra);
      return fc.tuple(...present.map((k) => near(k).map((v) => [k, v] as const)));
    })
    .map((pairs) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of pairs) {
        Object.defineProperty(out, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    });
}

/** Each stop reason's fields: its kind's own, and now and then another kind's. */
const STOP_FIELDS: Record<string, string[]> = {
  completed: [],
  paused: [],
  stopped: [],
  cancelled: ['reason'],
  blocked: ['taskId', 'reason'],
  'needs-human': ['taskId'],
  limit: ['limit', 'detail'],
  interrupted: ['detail'],
  nope: ['reason'],
};
const stop = fc.constantFrom(...Object.keys(STOP_FIELDS)).chain((kind) => {
  const own = STOP_FIELDS[kind]!;
  return fc
    .tuple(
      record(own, kind === 'blocked' ? ['reason'] : own),
      fc.oneof(
        { weight: 6, arbitrary: fc.constant({}) },
        { weight: 1, arbitrary: record(['reason', 'detail']) },
      ),
    )
    .map(([fields, other]) => ({ kind, ...other, ...fields }));
});

describe('QUICK_CHECKS', () => {
  it('pass only what the model schemas pass, with the same result, key order and all', () => {
    const cases: [keyof ProgressChecks, fc.Arbitrary<unknown>][] = [
      ['attempt', record(Object.keys(ATTEMPT), ['n', 'agent', 'startedAt'])],
      ['tokens', record(['input', 'output', 'cacheRead', 'cacheCreation'])],
      ['question', record(['reason', 'details', 'options'], ['reason'])],
      ['stopReason', stop],
    ];
    const counts: Record<string, number> = {};
    for (const [name, values] of cases) {
      fc.assert(
        fc.property(values, (value) => {
          const quick = QUICK_CHECKS[name].safeParse(value);
          if (!quick.success) return;
          counts[name] = (counts[name] ?? 0) + 1;
          const zod = ZOD[name].safeParse(value);
          expect(zod.success, JSON.stringify(value)).toBe(true);
          if (!zod.success) return;
          expect(quick.data).toStrictEqual(zod.data);
          expect(Object.keys(quick.data as object)).toEqual(Object.keys(zod.data as object));
        }),
        { numRuns: 3000 },
      );
    }
    // Not vacuous: each check passes many of the values.
    for (const name of Object.keys(QUICK_CHECKS)) expect(counts[name]).toBeGreaterThan(1000);
  });

  it('pass what sprint writes', () => {
    const written = {
      n: 2,
      agent: 'claude',
      startedAt: '2026-01-15T09:00:00Z',
      endedAt: '2026-01-15T09:01:00Z',
      host: 'vm',
      runId: 'r1',
      pid: 123,
      pidStart: '456',
      outcome: 'failed',
      counted: true,
      error: {
        kind: 'rate-limit',
        message: 'slow down',
        resetAt: 'x',
        retryAfterMs: 5,
        exitCode: 1,
        signal: null,
      },
      sessionId: 's',
      commitError: 'no',
      costUsd: 0.5,
      costEstimated: true,
      costModel: 'gpt-9',
      costFallback: true,
      durationMs: 60000,
    };
    expect(QUICK_CHECKS.attempt.safeParse(written)).toEqual(AttemptSchema.safeParse(written));
    expect(QUICK_CHECKS.tokens.safeParse({ input: 3 })).toEqual(
      TokenUsageSchema.safeParse({ input: 3 }),
    );
    expect(QUICK_CHECKS.question.safeParse({ reason: 'r' })).toEqual(
      HumanNeededSchema.safeParse({ reason: 'r' }),
    );
    for (const reason of [
      { kind: 'completed' },
      { kind: 'blocked', taskId: 't', reason: 'r' },
      { kind: 'limit', limit: 'max-cost', detail: 'd' },
      { kind: 'interrupted', detail: 'd' },
    ]) {
      expect(QUICK_CHECKS.stopReason.safeParse(reason)).toEqual(StopReasonSchema.safeParse(reason));
    }
  });

  it('know every field of an attempt, in the schema order', () => {
    expect(Object.keys(ATTEMPT)).toEqual(Object.keys(AttemptSchema.shape));
  });
});
