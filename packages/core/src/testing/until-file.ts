/** Single-quoted for /bin/sh. */
const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Watches the folder before the first look, so a file made in between is never missed. */
const WATCH =
  'const fs=require("node:fs"),p=process.argv[1],done=()=>fs.existsSync(p)&&process.exit(0);' +
  'fs.watch(require("node:path").dirname(p),done);done()';

/**
 * A shell command that returns once `path` exists: for a task command or a git hook that a
 * test holds and then lets go by making the file. It waits on the folder's change events,
 * not on a clock, so a slow machine makes it later, never wrong.
 */
export function untilFileExists(path: string): string {
  return `${quote(process.execPath)} -e ${quote(WATCH)} ${quote(path)}`;
}
