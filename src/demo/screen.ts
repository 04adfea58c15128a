import { stripAnsi, visibleLength } from './format';

/** Where the demo writes: log-like lines, and (on a terminal) a block of live lines kept at the bottom. */
export interface Screen {
  /** True when the live block is drawn (a terminal). */
  readonly live: boolean;
  /** Prints a line above the live block. */
  line(text: string): void;
  /** Replaces the live block (ignored when not live). */
  setLive(lines: readonly string[]): void;
  /** Draws pending changes now. */
  flush(): void;
  /** Draws the last state of the live block once more and leaves it on screen; the cursor comes back. */
  close(): void;
}

export interface ScreenOptions {
  out: NodeJS.WriteStream;
  /** Draw a live block (only on a terminal). */
  live: boolean;
  /** How often the live block is redrawn at most. @default 100 */
  frameMs?: number;
}

const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';
const CLEAR_DOWN = '\u001b[J';
const up = (lines: number) => (lines > 0 ? `\u001b[${lines}A` : '');

/**
 * Keeps a block of lines (the unit progress bars) at the bottom of a terminal and prints every other
 * line above it: each frame moves the cursor back to the block's first line, clears downwards, and
 * writes the new lines and the block in one write (no flicker). Block lines are cut to the terminal's
 * width so that none wraps, which would break the count of lines to move back over.
 */
export function createScreen(options: ScreenOptions): Screen {
  const { out } = options;
  if (!options.live) {
    return {
      live: false,
      line: (text) => {
        out.write(`${text}\n`);
      },
      setLive: () => {},
      flush: () => {},
      close: () => {},
    };
  }
  const frameMs = options.frameMs ?? 100;
  let pending: string[] = [];
  let block: readonly string[] = [];
  let drawn = 0;
  let dirty = false;
  let closed = false;
  out.write(HIDE_CURSOR);
  const timer = setInterval(() => {
    if (dirty) draw();
  }, frameMs);
  timer.unref();
  // Leave the terminal's cursor visible even when the process ends abruptly.
  const restoreCursor = () => out.write(SHOW_CURSOR);
  process.once('exit', restoreCursor);

  function clip(text: string): string {
    const columns = out.columns ?? 80;
    if (visibleLength(text) < columns) return text;
    // Cutting through escape sequences is not worth it: an over-long line loses its colours.
    const plain = [...stripAnsi(text)];
    return `${plain.slice(0, Math.max(0, columns - 2)).join('')}…`;
  }

  function draw(): void {
    dirty = false;
    const lines = pending.map((text) => `${text}\n`).join('');
    pending = [];
    const live = block.map((text) => `${clip(text)}\n`).join('');
    out.write(`${up(drawn)}\r${CLEAR_DOWN}${lines}${live}`);
    drawn = block.length;
  }

  return {
    live: true,
    line(text) {
      if (closed) {
        out.write(`${text}\n`);
        return;
      }
      pending.push(text);
      dirty = true;
    },
    setLive(lines) {
      block = lines;
      dirty = true;
    },
    flush() {
      if (!closed && dirty) draw();
    },
    close() {
      if (closed) return;
      draw();
      closed = true;
      clearInterval(timer);
      process.removeListener('exit', restoreCursor);
      out.write(SHOW_CURSOR);
    },
  };
}
