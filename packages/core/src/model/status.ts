import { z } from 'zod';
import { SPRINT_STATUSES, TASK_STATUSES } from './transitions.js';

export {
  canTransitionSprint,
  canTransitionTask,
  isFinalSprintStatus,
  SPRINT_STATUSES,
  SPRINT_TRANSITIONS,
  type SprintStatus,
  TASK_STATUSES,
  TASK_TRANSITIONS,
  type TaskStatus,
  transitionSprint,
  transitionTask,
} from './transitions.js';

export const SprintStatusSchema = z.enum(SPRINT_STATUSES);
export const TaskStatusSchema = z.enum(TASK_STATUSES);
