import { z } from 'zod';

/**
 * One fault rule. `match` is a glob (`*` = anything) over the normalised call key
 * (`"PUT /v1/UnitIdEntries/{id}"`); a pattern starting with `/` matches the path part only; no
 * `match` = every API request. The admin API is never faulted.
 */
export const faultRuleSchema = z.object({
  match: z.string().min(1).optional(),
  /** Added before answering. @default 0 */
  latencyMs: z.int().min(0).max(600_000).default(0),
  /** Share of matching requests answered with `errorStatus`. @default 0 */
  errorRate: z.number().min(0).max(1).default(0),
  /** @default 503 */
  errorStatus: z.union([z.literal(429), z.literal(500), z.literal(502), z.literal(503)]).default(503),
  /** Sent as `Retry-After` on injected errors; 429 without it sends 1. */
  retryAfterSeconds: z.int().min(0).optional(),
  /** Share of matching requests whose connection is destroyed without an answer. @default 0 */
  dropRate: z.number().min(0).max(1).default(0),
  /**
   * When a drop happens: `before` the request is handled (nothing changes on the server), or `after`
   * it was handled (the change is made, but its answer is lost — what a crash or network cut between a
   * create and its response looks like to a client). @default 'before'
   */
  dropPhase: z.enum(['before', 'after']).default('before'),
  /** The rule is spent after having an effect this many times; absent = forever. */
  count: z.int().min(1).optional(),
});

export type FaultRuleInput = z.input<typeof faultRuleSchema>;
export type FaultRule = z.output<typeof faultRuleSchema>;

export const faultListSchema = z.array(faultRuleSchema);

export interface FaultRuleView extends FaultRule {
  /** How often the rule had an effect. */
  fired: number;
  /** Effects left before it is spent; null = unlimited. */
  remaining: number | null;
}

export type FaultOutcome =
  | { type: 'drop'; phase: 'before' | 'after' }
  | { type: 'error'; status: number; retryAfterSeconds: number | undefined }
  | null;

export interface FaultDecision {
  latencyMs: number;
  outcome: FaultOutcome;
}

interface ActiveRule {
  rule: FaultRule;
  regex: RegExp | null;
  pathOnly: boolean;
  fired: number;
}

function globToRegex(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Evaluates fault rules in order; the first rule that drops or errors decides, latencies add up. */
export class FaultInjector {
  private rules: ActiveRule[] = [];

  constructor(private readonly random: () => number) {}

  set(rules: readonly FaultRule[]): void {
    this.rules = rules.map((rule) => ({
      rule,
      regex: rule.match ? globToRegex(rule.match) : null,
      pathOnly: rule.match?.startsWith('/') ?? false,
      fired: 0,
    }));
  }

  clear(): void {
    this.rules = [];
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  view(): FaultRuleView[] {
    return this.rules.map((r) => ({
      ...r.rule,
      fired: r.fired,
      remaining: r.rule.count === undefined ? null : Math.max(0, r.rule.count - r.fired),
    }));
  }

  /** `callKey` is `"METHOD /v1/Route"`; `path` the route pattern part of it. */
  evaluate(callKey: string, path: string): FaultDecision {
    let latencyMs = 0;
    let outcome: FaultOutcome = null;
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.count !== undefined && active.fired >= rule.count) continue;
      if (active.regex && !active.regex.test(active.pathOnly ? path : callKey)) continue;
      let effect = false;
      if (rule.latencyMs > 0) {
        latencyMs += rule.latencyMs;
        effect = true;
      }
      if (rule.dropRate > 0 && this.random() < rule.dropRate) {
        outcome = { type: 'drop', phase: rule.dropPhase };
        effect = true;
      } else if (rule.errorRate > 0 && this.random() < rule.errorRate) {
        const retryAfterSeconds = rule.retryAfterSeconds ?? (rule.errorStatus === 429 ? 1 : undefined);
        outcome = { type: 'error', status: rule.errorStatus, retryAfterSeconds };
        effect = true;
      }
      if (effect) active.fired += 1;
      if (outcome) break;
    }
    return { latencyMs, outcome };
  }
}

export const budgetConfigSchema = z.object({
  /** Requests allowed per user per window. */
  maxRequests: z.int().min(1),
  /** Window length; windows are fixed and start with a user's first request. */
  windowMs: z.int().min(1),
});

export const budgetSchema = z.union([z.null(), budgetConfigSchema]);

export type BudgetConfig = z.output<typeof budgetSchema>;

export interface BudgetView {
  maxRequests: number | null;
  windowMs: number | null;
  rejected: number;
  users: Record<string, { windowStartIso: string; count: number }>;
}

/** A per-user request budget: over it, 429 with `Retry-After` until the window ends. */
export class RequestBudget {
  private config: BudgetConfig = null;
  private readonly windows = new Map<string, { start: number; count: number }>();
  private rejected = 0;

  set(config: BudgetConfig): void {
    this.config = config;
    this.windows.clear();
    this.rejected = 0;
  }

  /** Null when allowed, else the seconds until the window ends. Rejected requests do not count. */
  check(username: string, now: number): number | null {
    const config = this.config;
    if (!config) return null;
    let window = this.windows.get(username);
    if (!window || now - window.start >= config.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(username, window);
    }
    if (window.count >= config.maxRequests) {
      this.rejected += 1;
      return Math.max(1, Math.ceil((window.start + config.windowMs - now) / 1000));
    }
    window.count += 1;
    return null;
  }

  view(): BudgetView {
    const users: BudgetView['users'] = {};
    for (const [name, w] of this.windows) {
      users[name] = { windowStartIso: new Date(w.start).toISOString(), count: w.count };
    }
    return {
      maxRequests: this.config?.maxRequests ?? null,
      windowMs: this.config?.windowMs ?? null,
      rejected: this.rejected,
      users,
    };
  }
}
