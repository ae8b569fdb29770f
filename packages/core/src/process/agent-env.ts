/** Variables that belong to sprint itself and must never reach an agent (its tools could call the API). */
const PRIVATE = ['SPRINT_API_TOKEN'];

/**
 * The environment agents and their commands run with: this process's,
 * without sprint's own credentials.
 */
export function agentEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  for (const name of PRIVATE) delete env[name];
  return env;
}
