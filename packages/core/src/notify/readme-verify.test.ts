import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signBody } from './signature.js';

/** The README's receiver-side check, as printed there. */
function readmeCheck(): (header: string, rawBody: string, secret: string) => unknown {
  const readme = readFileSync(join(import.meta.dirname, '../../../../README.md'), 'utf8');
  const after = readme.slice(readme.indexOf('Verify it before trusting'));
  const code = /```js\n([\s\S]*?)```/.exec(after)?.[1];
  if (!code) throw new Error('README: the signature check is missing');
  const body = `${code.replace(/^import .*$/m, '')}\nreturn ok;`;
  const fn = new Function('createHmac', 'timingSafeEqual', 'header', 'rawBody', 'secret', body);
  return (header, rawBody, secret) => fn(createHmac, timingSafeEqual, header, rawBody, secret);
}

describe("the README's signature check", () => {
  it('accepts what the runner signs and refuses changed bodies, other keys and old timestamps', () => {
    const check = readmeCheck();
    const body = '{"version":1,"event":"needs-human"}';
    const now = Math.floor(Date.now() / 1000);
    expect(check(signBody(body, 's3cret', now), body, 's3cret')).toBeTruthy();
    expect(check(signBody(body, 's3cret', now), `${body}\n`, 's3cret')).toBeFalsy();
    expect(check(signBody(body, 'other', now), body, 's3cret')).toBeFalsy();
    expect(check(signBody(body, 's3cret', now - 3600), body, 's3cret')).toBeFalsy();
    expect(check('garbage', body, 's3cret')).toBeFalsy();
  });
});
