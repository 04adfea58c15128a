import { DateTime } from 'luxon';

/** ANSI styles, or none at all when the output is not a colour terminal. */
export interface Styles {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  magenta(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export function createStyles(enabled: boolean): Styles {
  if (!enabled) {
    const plain = (text: string) => text;
    return { bold: plain, dim: plain, green: plain, red: plain, yellow: plain, cyan: plain, magenta: plain };
  }
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    green: sgr(32, 39),
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    magenta: sgr(35, 39),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC.
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** The text without its ANSI styles. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** Length as the terminal shows it (escape sequences take no room). */
export function visibleLength(text: string): number {
  return [...stripAnsi(text)].length;
}

function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

/** A PIN as the screen shows it: masked (one dot per digit) unless the user asked to see PINs. */
export function showPin(pin: string | undefined, reveal: boolean): string {
  if (!pin) return '—';
  return reveal ? pin : '•'.repeat(pin.length);
}

/**
 * A booking's externalId short enough for a table: calendar UIDs such as
 * `7a31c0d5e2f8-9b1e44c07a2f4d8e6c35a1f0b7d2e96c@airbnb.com` share a long per-host prefix and a
 * domain, so the end of the local part is what tells them apart: `…f0b7d2e96c`.
 */
export function shortenExternalId(externalId: string, max = 22): string {
  if ([...externalId].length <= max) return externalId;
  const at = externalId.lastIndexOf('@');
  const local = at > 0 ? externalId.slice(0, at) : externalId;
  if (at > 0) return `…${local.slice(-10)}`;
  return `${externalId.slice(0, max - 1)}…`;
}

/** `source/externalId`, shortened for the screen. */
export function displayKey(key: string): string {
  const slash = key.indexOf('/');
  if (slash < 0) return key;
  return `${key.slice(0, slash)}/${shortenExternalId(key.slice(slash + 1))}`;
}

/** An access window in the resource's zone: `4 Dec 14:30 → 7 Dec 11:30` (the end's date only if another day). */
export function formatWindow(
  validFrom: string | undefined,
  validTo: string | undefined,
  zone: string,
): string {
  if (!validFrom || !validTo) return '—';
  const from = DateTime.fromISO(validFrom, { setZone: true }).setZone(zone);
  const to = DateTime.fromISO(validTo, { setZone: true }).setZone(zone);
  if (!from.isValid || !to.isValid) return '—';
  const day = 'd LLL';
  const toFormat = from.hasSame(to, 'day') ? 'HH:mm' : `${day} HH:mm`;
  return `${from.toFormat(`${day} HH:mm`, { locale: 'en-GB' })} → ${to.toFormat(toFormat, { locale: 'en-GB' })}`;
}

/** `3 entries`, `1 entry`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** `[██████░░░░░░]` for 0–100. */
export function progressBar(percent: number, width = 20): string {
  const clamped = Math.max(0, Math.min(100, Number.isFinite(percent) ? percent : 0));
  const filled = Math.round((clamped / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

/** Seconds since the demo started, right-aligned: ` 12.3s`. */
export function formatElapsed(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`.padStart(6);
}

/**
 * A text table: a header, a rule, then one line per row; columns as wide as their widest cell.
 * Cells may carry ANSI styles.
 */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  styles: Styles,
): string {
  const widths = header.map((title, column) =>
    Math.max(visibleLength(title), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : padEnd(cell, widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [
    styles.bold(line(header)),
    widths.map((width) => '─'.repeat(width)).join('  '),
    ...rows.map((row) => line(row)),
  ].join('\n');
}
