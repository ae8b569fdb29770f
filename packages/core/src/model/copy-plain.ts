/**
 * A deep copy of plain data (objects, arrays and primitives) that shares its
 * strings. `structuredClone` copies every string too: a 10 MB task
 * description was then held once more by every copy. Strings cannot change,
 * so sharing them is as safe as copying; anything else that is not a plain
 * object or an array (a Date) is shared as it is.
 */
export function copyPlain<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyPlain) as T;
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null)
    return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const copy = copyPlain((value as Record<string, unknown>)[key]);
    // An own `__proto__` key (YAML can hold one) stays a key, as structuredClone keeps it.
    if (key === '__proto__') {
      Object.defineProperty(out, key, {
        value: copy,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else out[key] = copy;
  }
  return out as T;
}
