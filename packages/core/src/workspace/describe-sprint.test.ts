import { describe, expect, it } from 'vitest';
import { initialState } from '../model/fold.js';
import { SprintDefinitionSchema } from '../model/sprint.js';
import { describeSprint } from './describe-sprint.js';

const definition = SprintDefinitionSchema.parse({
  id: '2026-12-03_kept',
  name: 'kept',
  tasks: [{ id: 'a', type: 'custom', priority: 'medium', dependsOn: [], fields: {} }],
});

function withKeptWorktree(status: 'paused' | 'completed') {
  const state = initialState(definition);
  state.status = status;
  state.tasks.a!.status = status === 'completed' ? 'skipped' : 'blocked';
  state.tasks.a!.worktree = { stage: 'kept', branch: 'sprint-task/x/a-1', path: '/tmp/wt/a-1' };
  return describeSprint({ definition, state, projectDir: '/tmp', files: [] }, null);
}

describe('describeSprint: worktrees', () => {
  it('lists a worktree kept for a person while the sprint is not over', () => {
    expect(withKeptWorktree('paused').worktrees.map((w) => w.taskId)).toEqual(['a']);
  });

  it('lists none once the sprint completed: its run removed them all, kept ones too', () => {
    expect(withKeptWorktree('completed').worktrees).toEqual([]);
  });
});
