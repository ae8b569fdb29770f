import type { AgentContext } from '../agents/agent.js';
import { type AgentResult, AgentResultSchema, failedResult } from '../model/agent-result.js';
import { errorMessage } from './error-message.js';

/**
 * Calls an agent and turns whatever happens into a result: a throw is a
 * crash, an invalid value is invalid output, and an agent that still runs
 * `graceMs` after its signal was aborted is let go (after `onAbandon`, which
 * ends its processes) with a timeout or cancelled result.
 */
export async function callAgent(
  run: (ctx: AgentContext) => Promise<AgentResult>,
  ctx: AgentContext,
  options: { graceMs: number; onAbandon: () => void },
): Promise<AgentResult> {
  const { signal } = ctx;
  let graceTimer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const abandoned = new Promise<AgentResult>((resolve) => {
    onAbort = () => {
      graceTimer = setTimeout(() => {
        // It ignored its signal: end its processes ourselves rather than leave an orphan.
        options.onAbandon();
        resolve(
          failedResult(
            signal.reason === 'timeout' ? 'timeout' : 'cancelled',
            `the agent did not end within ${options.graceMs} ms of being told to stop`,
          ),
        );
      }, options.graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const raw = await Promise.race([run(ctx), abandoned]);
    const parsed = AgentResultSchema.safeParse(raw);
    if (!parsed.success) {
      return failedResult(
        'invalid-output',
        `the agent returned an invalid result: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  } catch (error) {
    return failedResult('crash', `the agent threw: ${errorMessage(error)}`);
  } finally {
    if (graceTimer) clearTimeout(graceTimer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
