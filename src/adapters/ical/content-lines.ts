/**
 * The RFC 5545 content-line layer, written by us so that every check happens before a library
 * sees the text: BOM and envelope, unfolding, one property per logical line, and a component tree
 * in which a broken component stays local to itself.
 */

/** One property (content line) after unfolding. Names and parameter names are upper-cased. */
export interface ContentLine {
  readonly name: string;
  readonly params: Readonly<Record<string, string>>;
  readonly value: string;
  /** 1-based number of the physical line the property starts on. */
  readonly line: number;
  /** Set when the value had to be recovered from a broken line (see {@link parseContentLine}). */
  readonly recovered?: string;
}

export interface Component {
  readonly name: string;
  readonly properties: ContentLine[];
  readonly children: Component[];
  /** Problems that make this component unusable (an unparsable line, an unclosed BEGIN). */
  readonly problems: string[];
  readonly line: number;
}

export type EnvelopeResult =
  | { readonly ok: true; readonly calendar: Component; readonly warnings: string[] }
  | { readonly ok: false; readonly reason: string };

const NAME = /^[A-Za-z0-9-]+$/;

/** Removes a UTF-8 byte-order mark (as a character, however it was decoded). */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

interface LogicalLine {
  text: string;
  line: number;
}

/**
 * Unfolds lines (RFC 5545 §3.1: CRLF followed by one space or tab continues the line; LF and CR
 * alone are accepted too). Blank lines are dropped: Airbnb puts them between components.
 */
export function unfold(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  const physical = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i] ?? '';
    const last = out[out.length - 1];
    if ((raw.startsWith(' ') || raw.startsWith('\t')) && last) {
      // Exactly one character of whitespace belongs to the fold; a second one is content.
      last.text += raw.slice(1);
      continue;
    }
    if (raw.trim() === '') continue;
    out.push({ text: raw, line: i + 1 });
  }
  return out;
}

/**
 * Parses `NAME;PARAM=value;PARAM="quoted":value`. Returns undefined for a line that is not a
 * property at all. One broken shape is recovered, as Exchange 2010 writes it:
 * `DTSTART;TZID="W. Europe Standard Time:20200609T090000"` (the quote swallows the value); the
 * result says so in `recovered`.
 */
export function parseContentLine(text: string, line: number): ContentLine | undefined {
  let i = 0;
  while (i < text.length && text[i] !== ';' && text[i] !== ':') i++;
  const name = text.slice(0, i);
  if (!NAME.test(name)) return undefined;
  const params: Record<string, string> = {};
  let lastParam: string | undefined;
  let lastQuoted = false;
  while (text[i] === ';') {
    i++;
    const eq = text.indexOf('=', i);
    if (eq < 0) return undefined;
    const paramName = text.slice(i, eq).toUpperCase();
    if (!NAME.test(paramName)) return undefined;
    i = eq + 1;
    const values: string[] = [];
    let quoted = false;
    for (;;) {
      if (text[i] === '"') {
        const close = text.indexOf('"', i + 1);
        if (close < 0) return undefined;
        values.push(text.slice(i + 1, close));
        quoted = true;
        i = close + 1;
      } else {
        let j = i;
        while (j < text.length && text[j] !== ';' && text[j] !== ':' && text[j] !== ',') j++;
        values.push(text.slice(i, j));
        i = j;
      }
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    // Repeated parameters are not meaningful for the properties we read; the first one wins.
    if (!(paramName in params)) params[paramName] = values.join(',');
    lastParam = paramName;
    lastQuoted = quoted;
  }
  if (text[i] === ':') {
    return { name: name.toUpperCase(), params, value: text.slice(i + 1), line };
  }
  if (i >= text.length && lastParam && lastQuoted) {
    const swallowed = params[lastParam] ?? '';
    const colon = swallowed.lastIndexOf(':');
    if (colon > 0) {
      return {
        name: name.toUpperCase(),
        params: { ...params, [lastParam]: swallowed.slice(0, colon) },
        value: swallowed.slice(colon + 1),
        line,
        recovered: `${name.toUpperCase()} value recovered from inside the quoted ${lastParam} parameter (the line is broken: ${name.toUpperCase()};${lastParam}="…:value")`,
      };
    }
  }
  return undefined;
}

/**
 * Checks the envelope and builds the component tree. A body that is not a calendar (an HTML page
 * served with 200, an empty or truncated body) is refused as a whole: that is a failed fetch, never
 * "no bookings". Problems inside one component are attached to it and leave the others intact.
 */
export function parseCalendarText(input: string): EnvelopeResult {
  const text = stripBom(input);
  const lines = unfold(text);
  if (lines.length === 0) return { ok: false, reason: 'empty body (not a calendar)' };
  const first = lines[0]?.text.trim().toUpperCase();
  if (first !== 'BEGIN:VCALENDAR') {
    return { ok: false, reason: 'body does not start with BEGIN:VCALENDAR (not a calendar)' };
  }
  const lastLine = lines[lines.length - 1]?.text.trim().toUpperCase();
  if (lastLine !== 'END:VCALENDAR') {
    return { ok: false, reason: 'body does not end with END:VCALENDAR (truncated or not a calendar)' };
  }
  const warnings: string[] = [];
  const root: Component = { name: 'VCALENDAR', properties: [], children: [], problems: [], line: 1 };
  const stack: Component[] = [root];
  for (let index = 1; index < lines.length; index++) {
    const logical = lines[index] as LogicalLine;
    const current = stack[stack.length - 1];
    if (!current) {
      warnings.push(`line ${logical.line}: content after END:VCALENDAR ignored`);
      break;
    }
    const property = parseContentLine(logical.text, logical.line);
    if (!property) {
      const where = stack.length > 1 ? current : undefined;
      const message = `line ${logical.line}: not an iCalendar property`;
      if (where) where.problems.push(message);
      else warnings.push(`${message} (ignored)`);
      continue;
    }
    if (property.name === 'BEGIN') {
      const child: Component = {
        name: property.value.trim().toUpperCase(),
        properties: [],
        children: [],
        problems: [],
        line: logical.line,
      };
      current.children.push(child);
      stack.push(child);
      continue;
    }
    if (property.name === 'END') {
      const closing = property.value.trim().toUpperCase();
      // Close up to the matching BEGIN; any component left open in between is broken.
      const at = findLastIndex(stack, (c) => c.name === closing);
      if (at < 0) {
        current.problems.push(`line ${logical.line}: END:${closing} without BEGIN:${closing}`);
        continue;
      }
      for (let k = stack.length - 1; k > at; k--) {
        stack[k]?.problems.push(`BEGIN:${stack[k]?.name} on line ${stack[k]?.line} is never closed`);
      }
      stack.length = at;
      continue;
    }
    current.properties.push(property);
  }
  if (stack.length > 0) {
    return { ok: false, reason: 'body does not end with END:VCALENDAR (truncated or not a calendar)' };
  }
  return { ok: true, calendar: root, warnings };
}

function findLastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i] as T)) return i;
  return -1;
}

/** The properties of a component with this name, in order. */
export function propertiesNamed(component: Component, name: string): ContentLine[] {
  return component.properties.filter((p) => p.name === name);
}

/** The first property with this name. */
export function propertyNamed(component: Component, name: string): ContentLine | undefined {
  return component.properties.find((p) => p.name === name);
}
