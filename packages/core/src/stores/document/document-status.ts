import { InvalidSprintError } from '../../model/errors.js';
import type { SprintStatus } from '../../model/status.js';

/** The `status` values of a sprint document's front matter (its kanban columns). */
export const DOCUMENT_STATUSES = [
  'backlog',
  'todo',
  'planning',
  'in_progress',
  'review',
  'done',
  'blocked',
  'abandoned',
  'archived',
] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

const FROM_DOCUMENT: Readonly<Record<DocumentStatus, SprintStatus>> = {
  backlog: 'not-started',
  todo: 'not-started',
  planning: 'not-started',
  in_progress: 'in-progress',
  review: 'in-progress',
  done: 'completed',
  archived: 'completed',
  blocked: 'blocked',
  abandoned: 'cancelled',
};

const TO_DOCUMENT: Readonly<Record<SprintStatus, DocumentStatus>> = {
  'not-started': 'todo',
  'in-progress': 'in_progress',
  paused: 'in_progress',
  'needs-human': 'in_progress',
  blocked: 'blocked',
  completed: 'done',
  cancelled: 'abandoned',
};

function isDocumentStatus(value: string): value is DocumentStatus {
  return Object.hasOwn(FROM_DOCUMENT, value);
}

/**
 * The document status to write for a sprint status. `current` (the
 * document's status now) is kept whenever it already means `sprintStatus`, so
 * a `backlog` sprint stays in the backlog and an `archived` one stays
 * archived; otherwise: not-started -> `todo`; in-progress, paused,
 * needs-human -> `in_progress`; blocked -> `blocked`; completed -> `done`;
 * cancelled -> `abandoned`.
 *
 * @example
 * documentStatus('not-started', 'backlog'); // 'backlog'
 * documentStatus('in-progress', 'todo');    // 'in_progress'
 */
export function documentStatus(sprintStatus: SprintStatus, current: string): string {
  if (isDocumentStatus(current) && FROM_DOCUMENT[current] === sprintStatus) return current;
  return TO_DOCUMENT[sprintStatus];
}

/**
 * The sprint status a document status means: backlog, todo, planning ->
 * not-started; in_progress, review -> in-progress; done, archived ->
 * completed; blocked -> blocked; abandoned -> cancelled.
 *
 * @throws InvalidSprintError for any other value.
 */
export function sprintStatusFromDocument(docStatus: string): SprintStatus {
  if (isDocumentStatus(docStatus)) return FROM_DOCUMENT[docStatus];
  const suggestion = suggestDocumentStatus(docStatus);
  throw new InvalidSprintError([
    {
      field: 'status',
      message: `document status "${docStatus}" is not one of ${DOCUMENT_STATUSES.join(', ')}`,
      fix: suggestion
        ? `write "status: ${suggestion}"`
        : `write one of ${DOCUMENT_STATUSES.join(', ')}`,
    },
  ]);
}

/** The status a near miss (`In Progress`, `in-progress`, `Done`) was meant to be. */
export function suggestDocumentStatus(value: string): DocumentStatus | undefined {
  const normal = value
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return isDocumentStatus(normal) ? normal : undefined;
}
