import type { Agent, AgentContext } from '../agents/agent.js';
import {
  type AgentResult,
  type AgentResultInput,
  AgentResultSchema,
} from '../model/agent-result.js';

export type Script =
  | AgentResultInput
  | ((ctx: AgentContext, call: number) => AgentResultInput | Promise<AgentResultInput>);

/**
 * An in-process agent for tests: answers each task from a script (one entry
 * per attempt, the last one repeating) and records every call it got.
 *
 * @example
 * const agent = new ScriptedAgent('impl', { a: [{ success: false }, { success: true }] });
 */
export class ScriptedAgent implements Agent {
  readonly name: string;
  readonly calls: AgentContext[] = [];
  readonly #scripts: Record<string, Script[]>;
  readonly #fallback: Script;

  constructor(
    name: string,
    scripts: Record<string, Script | Script[]> = {},
    fallback: Script = { success: true, summary: 'ok' },
  ) {
    this.name = name;
    this.#scripts = Object.fromEntries(
      Object.entries(scripts).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]),
    );
    this.#fallback = fallback;
  }

  callsFor(taskId: string): AgentContext[] {
    return this.calls.filter((c) => c.task.id === taskId);
  }

  async run(ctx: AgentContext): Promise<AgentResult> {
    this.calls.push(ctx);
    const n = this.callsFor(ctx.task.id).length;
    const list = this.#scripts[ctx.task.id];
    const script = list ? (list[Math.min(n, list.length) - 1] ?? this.#fallback) : this.#fallback;
    const value = typeof script === 'function' ? await script(ctx, n) : script;
    return AgentResultSchema.parse(value);
  }
}

/** Resolves when `signal` aborts: for agents that must wait to be stopped. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
