// Another process running a sprint with @sprint/core, as the CLI would: its
// agent works until it is aborted. Prints "started" when the agent starts and
// the run's result as JSON when it ends.
import {
  AgentRegistry,
  AgentResultSchema,
  failedResult,
  SprintRootStore,
  SprintRunner,
} from '@sprint/core';

const [root, sprintId] = process.argv.slice(2);
const agent = {
  name: 'waiter',
  async run(ctx) {
    process.stdout.write('started\n');
    await new Promise((ok) => ctx.signal.addEventListener('abort', ok, { once: true }));
    return ctx.signal.aborted
      ? failedResult('cancelled', 'interrupted')
      : AgentResultSchema.parse({ success: true });
  },
};
const runner = new SprintRunner({
  store: new SprintRootStore({ root }),
  agents: new AgentRegistry({ default: agent }),
  controlPollMs: 50,
});
const result = await runner.run(sprintId, {});
process.stdout.write(`${JSON.stringify(result)}\n`);
