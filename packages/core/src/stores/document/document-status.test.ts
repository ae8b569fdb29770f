import { describe, expect, it } from 'vitest';
import { InvalidSprintError } from '../../model/errors.js';
import { SPRINT_STATUSES } from '../../model/status.js';
import { DOCUMENT_STATUSES, documentStatus, sprintStatusFromDocument } from './document-status.js';

describe('sprintStatusFromDocument', () => {
  it('maps every document status', () => {
    expect(
      Object.fromEntries(DOCUMENT_STATUSES.map((s) => [s, sprintStatusFromDocument(s)])),
    ).toEqual({
      backlog: 'not-started',
      todo: 'not-started',
      planning: 'not-started',
      in_progress: 'in-progress',
      review: 'in-progress',
      done: 'completed',
      archived: 'completed',
      blocked: 'blocked',
      abandoned: 'cancelled',
    });
  });

  it('rejects other values with a fix', () => {
    expect(() => sprintStatusFromDocument('In Progress')).toThrow(/status: in_progress/);
    expect(() => sprintStatusFromDocument('shipped')).toThrow(InvalidSprintError);
    expect(() => sprintStatusFromDocument('toString')).toThrow(InvalidSprintError);
  });
});

describe('documentStatus', () => {
  it('maps every sprint status from a todo document', () => {
    expect(Object.fromEntries(SPRINT_STATUSES.map((s) => [s, documentStatus(s, 'todo')]))).toEqual({
      'not-started': 'todo',
      'in-progress': 'in_progress',
      paused: 'in_progress',
      blocked: 'blocked',
      'needs-human': 'in_progress',
      completed: 'done',
      cancelled: 'abandoned',
    });
  });

  it('keeps a not-started column the document already has', () => {
    expect(documentStatus('not-started', 'backlog')).toBe('backlog');
    expect(documentStatus('not-started', 'planning')).toBe('planning');
    expect(documentStatus('not-started', 'done')).toBe('todo');
    expect(documentStatus('not-started', 'whatever')).toBe('todo');
  });

  it('writes back what it read', () => {
    for (const status of DOCUMENT_STATUSES) {
      expect(documentStatus(sprintStatusFromDocument(status), status)).toBe(status);
    }
  });
});
