import { userInfo } from 'node:os';

/** Who ran the command, for the events it records: the login name, or `$USER`, and `(cli)`. */
export function whoAmI(env: NodeJS.ProcessEnv): string {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    name = env.USER ?? env.USERNAME;
  }
  return `${name || 'unknown'} (cli)`;
}
