/** What replaces a secret in anything sprint writes, sends or logs. */
export const REDACTED = '[redacted]';

/** Environment variable names whose values are treated as secrets. */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)/i;

/** The values of the secret-looking variables of an environment. */
export function secretsOf(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && typeof value === 'string')
    .map(([, value]) => value as string);
}

/**
 * Replaces known secret values (API keys of the agents' environment, an API
 * token) in text before it is stored, sent or logged. Values shorter than 8
 * characters are ignored: they would redact ordinary words.
 */
export class Redactor {
  readonly #secrets: string[];
  constructor(secrets: Iterable<string | undefined>) {
    const unique = new Set<string>();
    for (const s of secrets) if (s && s.length >= 8) unique.add(s);
    // Longest first, so a secret that contains another is replaced whole.
    this.#secrets = [...unique].sort((a, b) => b.length - a.length);
  }

  get empty(): boolean {
    return this.#secrets.length === 0;
  }

  text(text: string): string {
    let out = text;
    for (const secret of this.#secrets) {
      if (out.includes(secret)) out = out.replaceAll(secret, REDACTED);
    }
    return out;
  }

  /** JSON text of a value, secrets replaced (a secret never contains a character JSON escapes, or it is matched escaped). */
  json(value: unknown): string {
    let out = JSON.stringify(value);
    for (const secret of this.#secrets) {
      const escaped = JSON.stringify(secret).slice(1, -1);
      if (out.includes(escaped)) out = out.replaceAll(escaped, REDACTED);
    }
    return out;
  }

  /** A copy of a JSON value with every secret replaced (the value itself when there are none). */
  value<T>(value: T): T {
    if (this.#secrets.length === 0) return value;
    const text = JSON.stringify(value);
    const out = this.json(value);
    return out === text ? value : (JSON.parse(out) as T);
  }
}
