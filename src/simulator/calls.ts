export interface CallsView {
  total: number;
  /** `"METHOD /v1/Route/{param}"` → count. */
  counts: Record<string, number>;
}

/** Counts API calls per normalised route; cheap enough for every request. */
export class CallRecorder {
  private readonly counts = new Map<string, number>();
  private total = 0;

  record(key: string): void {
    this.total += 1;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  view(): CallsView {
    return { total: this.total, counts: Object.fromEntries(this.counts) };
  }

  reset(): void {
    this.counts.clear();
    this.total = 0;
  }
}
