/** `1 task`, `2 tasks`, `0 tasks`: a count with its noun in agreement. */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}
