/**
 * The line-level view of a Markdown sprint document that every reader and
 * patcher here shares: lines with their own line endings and offsets (so a
 * patch can change single bytes), the front matter's place, and the headings
 * outside fenced code blocks.
 */

export interface SourceLine {
  /** The line without its line ending. */
  text: string;
  /** `\n`, `\r\n`, or `` for a last line without one. */
  eol: string;
  /** Offset of the line's first character in the whole text. */
  start: number;
  /** 0-based index; the line number people see is `index + 1`. */
  index: number;
}

export function splitLines(text: string): SourceLine[] {
  const lines: SourceLine[] = [];
  const breaks = /\r?\n/g;
  let start = 0;
  for (let match = breaks.exec(text); match; match = breaks.exec(text)) {
    lines.push({ text: text.slice(start, match.index), eol: match[0], start, index: lines.length });
    start = match.index + match[0].length;
  }
  if (start < text.length) {
    lines.push({ text: text.slice(start), eol: '', start, index: lines.length });
  }
  return lines;
}

/** The line ending new lines get: the file's first one, `\n` if it has none. */
export function detectEol(text: string): string {
  const first = /\r?\n/.exec(text);
  return first ? first[0] : '\n';
}

const BOM = '\uFEFF';

export interface FrontMatterPlace {
  /** Index of the opening `---` line (always 0). */
  open: number;
  /** Index of the closing `---` (or `...`) line. */
  close: number;
  /** The YAML between the two lines, line endings included. */
  source: string;
  /** Offset of `source` in the whole text. */
  sourceStart: number;
}

/**
 * Where the front matter is: the first line is `---` and a later line is
 * `---` or `...`. Returns `undefined` when the first line is not `---`, and
 * `'unclosed'` when no closing line follows.
 */
export function locateFrontMatter(lines: SourceLine[]): FrontMatterPlace | 'unclosed' | undefined {
  const first = lines[0];
  if (!first || stripBom(first.text).trimEnd() !== '---') return undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const marker = line.text.trimEnd();
    if (marker === '---' || marker === '...') {
      const sourceStart = lines[1]!.start;
      return { open: 0, close: i, sourceStart, source: sourceOf(lines, 1, i) };
    }
  }
  return 'unclosed';
}

function sourceOf(lines: SourceLine[], from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) out += lines[i]!.text + lines[i]!.eol;
  return out;
}

function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(BOM.length) : text;
}

export interface Heading {
  level: number;
  /** The heading's text, without the `#`s around it, trimmed. */
  title: string;
}

/** An ATX heading (`## Title`), or undefined. */
export function headingOf(text: string): Heading | undefined {
  const match = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(text);
  if (!match) return undefined;
  return { level: match[1]!.length, title: (match[2] ?? '').trim() };
}

export interface BodyLine extends SourceLine {
  /** Inside a fenced code block (the fence lines included). */
  fenced: boolean;
  /** Set for headings outside fenced code blocks. */
  heading?: Heading;
}

/**
 * The lines after the front matter (all lines when there is none), each
 * marked as fenced code or not, so that `# comment` in a shell block is never
 * taken for a heading nor `- [ ] x` in an example for a step.
 */
export function bodyLines(lines: SourceLine[]): BodyLine[] {
  const place = locateFrontMatter(lines);
  const from = typeof place === 'object' ? place.close + 1 : 0;
  const out: BodyLine[] = [];
  let fence: { char: string; length: number } | undefined;
  for (let i = from; i < lines.length; i++) {
    const line = lines[i]!;
    if (fence) {
      const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line.text);
      if (close && close[1]![0] === fence.char && close[1]!.length >= fence.length)
        fence = undefined;
      out.push({ ...line, fenced: true });
      continue;
    }
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line.text);
    if (open && !(open[1]![0] === '`' && open[2]!.includes('`'))) {
      fence = { char: open[1]![0]!, length: open[1]!.length };
      out.push({ ...line, fenced: true });
      continue;
    }
    const heading = headingOf(line.text);
    out.push(heading ? { ...line, fenced: false, heading } : { ...line, fenced: false });
  }
  return out;
}

export interface Section {
  heading: Heading;
  /** Position of the heading line in the `bodyLines` array. */
  at: number;
  /** Position just after the section's last line in the `bodyLines` array. */
  end: number;
}

/**
 * Sections of the given level whose title matches: each runs from its
 * heading to the next heading of the same or a higher level.
 */
export function findSections(body: BodyLine[], level: number, title: RegExp): Section[] {
  const sections: Section[] = [];
  body.forEach((line, at) => {
    const heading = line.heading;
    if (!heading || heading.level !== level || !title.test(heading.title)) return;
    let end = at + 1;
    while (end < body.length && !(body[end]!.heading && body[end]!.heading!.level <= level)) end++;
    sections.push({ heading, at, end });
  });
  return sections;
}
