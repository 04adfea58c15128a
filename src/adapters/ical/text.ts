/**
 * TEXT unescaping (RFC 5545 §3.3.11) in one left-to-right pass: `\\` → `\`, `\n`/`\N` → newline,
 * `\,` → `,`, `\;` → `;`. A pass per escape (node-ical 0.27.2's way) turns `C:\\new` into a newline.
 * Anything else after a backslash is kept as written.
 */
export function unescapeText(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (char !== '\\' || i === value.length - 1) {
      out += char;
      continue;
    }
    const next = value[i + 1];
    if (next === '\\' || next === ',' || next === ';') out += next;
    else if (next === 'n' || next === 'N') out += '\n';
    else out += `\\${next}`;
    i++;
  }
  return out;
}

/** Splits a multi-valued TEXT property on unescaped commas, then unescapes each value. */
export function splitTextList(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (char === '\\' && i < value.length - 1) {
      current += char + value[i + 1];
      i++;
    } else if (char === ',') {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map(unescapeText);
}
