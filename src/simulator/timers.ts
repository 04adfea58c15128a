import type { Logger } from '../logging';

/**
 * Every timer the simulator starts (packet delivery, sync timeouts, pulses, CHECK answers) goes
 * through one set, so `close()` and a seed reload cancel them all and nothing fires afterwards.
 */
export class TimerSet {
  private readonly handles = new Set<NodeJS.Timeout>();
  private disposed = false;

  constructor(private readonly logger: Logger | null) {}

  set(fn: () => void, ms: number): NodeJS.Timeout {
    const handle = setTimeout(
      () => {
        this.handles.delete(handle);
        if (this.disposed) return;
        try {
          fn();
        } catch (error) {
          this.logger?.error({ err: error }, 'simulator timer callback failed');
        }
      },
      Math.max(0, ms),
    );
    // A forgotten simulator must not keep a test process alive; its server does that while listening.
    handle.unref();
    this.handles.add(handle);
    return handle;
  }

  clear(handle: NodeJS.Timeout | null | undefined): void {
    if (!handle) return;
    clearTimeout(handle);
    this.handles.delete(handle);
  }

  get size(): number {
    return this.handles.size;
  }

  dispose(): void {
    this.disposed = true;
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
  }
}
