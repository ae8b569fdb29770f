import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlannedModel } from '@sprint/core';
import { CliAgent, type CliArgs, readCodexConfig } from '@sprint/core/agent-kit';
import { codexArgs } from './codex-args.js';
import { type CodexState, INITIAL_CODEX_STATE, readCodexLine } from './codex-events.js';
import { codexOutcome } from './codex-outcome.js';
import {
  type CodexOptions,
  CodexOptionsSchema,
  type ResolvedCodexOptions,
  SPRINT_CODEX_KEYS,
} from './options.js';
import { CODEX_RESULT_JSON_SCHEMA } from './result-schema.js';

/**
 * OpenAI's `codex` CLI as an {@link Agent}: one `codex exec --json` process
 * per attempt, the prompt on stdin, `--output-schema` for the result, the
 * `workspace-write` sandbox with approvals off (works as root).
 *
 * @example
 * ```ts
 * import { AgentRegistry } from '@sprint/core';
 * import { CodexAgent } from '@sprint/agents-codex';
 *
 * const agents = new AgentRegistry({ default: new CodexAgent({ model: 'gpt-5-codex' }) });
 * ```
 */
export class CodexAgent extends CliAgent<typeof CodexOptionsSchema, CodexState> {
  /** @throws InvalidOptionsError when an option has the wrong type or range. */
  constructor(options: CodexOptions = {}) {
    super(
      {
        cli: 'codex',
        optionsLabel: 'CodexAgent options',
        schema: CodexOptionsSchema,
        sprintKeys: SPRINT_CODEX_KEYS,
        reporting: 'schema-message',
        args: argsWithSchemaFile,
        initialState: INITIAL_CODEX_STATE,
        readLine: readCodexLine,
        outcome: codexOutcome,
        configuredModel: codexConfiguredModel,
      },
      options,
    );
  }
}

/**
 * The model codex uses without `--model`, and where it is set: a
 * `-c model=...` override in the agent's options, else `model` in its
 * config.toml (`codex exec --json` never names the model).
 */
function codexConfiguredModel(
  options: ResolvedCodexOptions,
  env: Record<string, string | undefined>,
): PlannedModel | undefined {
  const override = options.config.model?.trim().replace(/^(["'])(.*)\1$/, '$2');
  if (override) return { model: override, source: { kind: 'options' } };
  const config = readCodexConfig(env);
  return config?.model
    ? { model: config.model, source: { kind: 'file', file: config.file } }
    : undefined;
}

/** The schema goes in a file of its own, outside the project, removed after the run. */
async function argsWithSchemaFile(options: ResolvedCodexOptions): Promise<CliArgs> {
  const schemaDir = await mkdtemp(join(tmpdir(), 'sprint-codex-'));
  const cleanup = () => rm(schemaDir, { recursive: true, force: true });
  const schemaFile = join(schemaDir, 'result-schema.json');
  try {
    await writeFile(schemaFile, JSON.stringify(CODEX_RESULT_JSON_SCHEMA));
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { args: codexArgs(options, { schemaFile }), cleanup };
}
