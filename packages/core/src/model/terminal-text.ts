/**
 * What a terminal would act on rather than show: C0 controls but the tab (ESC
 * starts the sequences that clear the screen, move the cursor, write the
 * clipboard (OSC 52) or hide a link (OSC 8); a bare CR overwrites the line),
 * DEL, C1 controls (U+009B is a one-byte CSI on some terminals), the bidi
 * embeddings, overrides and isolates that reorder what is read (U+061C,
 * U+200E/F, U+202A-E, U+2066-9), and the line and paragraph separators.
 *
 * One list for the three patterns below, kept as escapes in a string so that no control
 * character stands in the source.
 */
const CONTROL_CLASS =
  '\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069';
const CONTROLS = new RegExp(`[\\n${CONTROL_CLASS}]`, 'g');
const CONTROLS_BUT_NEWLINE = new RegExp(`\\r\\n|[${CONTROL_CLASS}]`, 'g');
const ANY_CONTROL = new RegExp(`[\\n${CONTROL_CLASS}]`);

function visible(char: string): string {
  switch (char) {
    case '\x1b':
      return '\\e';
    case '\r':
      return '\\r';
    case '\n':
      return '\\n';
    case '\r\n':
      return '\n';
  }
  const code = char.charCodeAt(0);
  return code < 0x80
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Text the CLI did not write itself (a sprint's name, what an agent returned)
 * made safe to print on a terminal: every control character is shown instead
 * of acted on, ESC as `\e`, CR as `\r`, LF as `\n`, other C0 and DEL as
 * `\xNN`, C1 and bidi controls as `\uNNNN`. Tabs stay. With `newlines`, the
 * text is multi-line by design: LF (and CRLF) stay line breaks.
 */
export function escapeControls(text: string, options: { newlines?: boolean } = {}): string {
  if (!ANY_CONTROL.test(text)) return text;
  return text.replace(options.newlines ? CONTROLS_BUT_NEWLINE : CONTROLS, visible);
}

/** An object as JSON or YAML gives it, not an instance of a class (a Date, an Error). */
function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `value` with every string in it (deeply, through arrays and plain objects)
 * passed through `escapeControls`: what a human-readable view renders from a
 * report or event it did not write. Parts with nothing to escape are the same
 * objects, so a clean event costs a scan and no copy. `options` as for `escapeControls`.
 */
export function escapeControlsDeep<T>(value: T, options: { newlines?: boolean } = {}): T {
  if (typeof value === 'string') return escapeControls(value, options) as T;
  if (Array.isArray(value)) {
    const items = value.map((item) => escapeControlsDeep(item, options));
    return (items.some((item, i) => item !== value[i]) ? items : value) as T;
  }
  if (value !== null && typeof value === 'object' && isPlain(value)) {
    const entries = Object.entries(value);
    const escaped = entries.map(([key, item]) => [key, escapeControlsDeep(item, options)] as const);
    const changed = escaped.some(([, item], i) => item !== entries[i]![1]);
    return (changed ? Object.fromEntries(escaped) : value) as T;
  }
  return value;
}
