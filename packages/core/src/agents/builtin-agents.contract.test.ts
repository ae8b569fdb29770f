import { runAgentContract } from '../testing/agent-contract.js';
import { NoopAgent, ShellAgent } from './builtin-agents.js';

runAgentContract('ShellAgent', {
  make: async (scenario) => {
    switch (scenario.kind) {
      case 'write-file':
        return {
          agent: new ShellAgent(),
          task: { command: `printf '%s\\n' '${scenario.content}' > ${scenario.file}; echo wrote ${scenario.file}` },
        };
      case 'fail':
        return { agent: new ShellAgent(), task: { command: `echo '${scenario.summary}'; exit 3` } };
      case 'hang':
        return { agent: new ShellAgent(), task: { command: `touch ${scenario.file}; sleep 600` } };
      default:
        return { agent: new ShellAgent() };
    }
  },
  unsupported: {
    'needs-human': 'a command has no way to ask a person',
    'invalid-output': 'the exit code is the result',
    silent: 'a command may be quiet for as long as it likes; the time limit covers it',
    'binary-missing': 'it runs /bin/sh, which every POSIX system has',
  },
});

runAgentContract('NoopAgent', {
  make: async () => ({ agent: new NoopAgent() }),
  unsupported: {
    'write-file': 'it does nothing, by design',
    fail: 'it always succeeds',
    'needs-human': 'it always succeeds',
    'invalid-output': 'it always succeeds',
    hang: 'it ends at once',
    silent: 'it ends at once',
    'binary-missing': 'it runs no program',
  },
});
