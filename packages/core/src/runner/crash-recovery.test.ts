import { describe, expect, it } from 'vitest';
import { type OrphanedAttempt, type RecoveryBy, recoveryEvents } from './crash-recovery.js';

const orphan: OrphanedAttempt = {
  taskId: 't',
  attempt: 2,
  ended: 'its orphaned process (pid 7) ended',
};

describe('recoveryEvents', () => {
  const table: [RecoveryBy, string, string, string, string][] = [
    [
      'run',
      'pending',
      'interrupted',
      'crash',
      'the runner ended while this task ran; its orphaned process (pid 7) ended',
    ],
    ['pause', 'pending', 'interrupted', 'cancelled', 'the runner ended; pause applied'],
    ['stop', 'pending', 'interrupted', 'cancelled', 'the runner ended; stop applied'],
    ['cancel', 'cancelled', 'cancelled', 'cancelled', 'the runner ended; cancel applied'],
  ];
  it.each(table)(
    'after %s: the task goes to %s (%s), uncounted',
    (by, to, outcome, kind, message) => {
      expect(recoveryEvents([orphan], by)).toEqual([
        {
          type: 'task-finished',
          taskId: 't',
          attempt: 2,
          to,
          outcome,
          counted: false,
          error: { kind, message },
        },
      ]);
    },
  );
});
