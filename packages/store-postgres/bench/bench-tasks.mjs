/** n independent tasks for the noop agent, `t0`..`t<n-1>`: the benches' sprint. */
export const benchTasks = (n) =>
  Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    type: 'bench-step',
    priority: 'medium',
    dependsOn: [],
    fields: {},
    title: `t${i}`,
  }));
