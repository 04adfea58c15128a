/**
 * Keeps the Dockerfile, docker-compose.yml, .env.example, .dockerignore and the compose configuration
 * consistent with the CLI, the HTTP routes and the configuration loader — without a Docker engine:
 * the files are parsed here and checked against the real code (commander's verbs and options, the
 * HTTP server's routes, `loadConfig`, the simulator's seed), and the healthcheck scripts are run
 * against real servers.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Queue } from 'bullmq';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { buildProgram } from '../../../src/cli';
import { ENV, type FlexysyncConfig, loadConfig, parseConfig, parseYaml } from '../../../src/config';
import { createHttpServer, INTAKE_TOKEN_ENV, readIntakeToken } from '../../../src/http';
import { silentLogger } from '../../../src/logging';
import { DEFAULT_SEED_PATH, loadSeedFile, startSimulator } from '../../../src/simulator';

const ROOT = path.resolve(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  keyword: string;
  args: string;
  /** Name of the stage (`FROM … AS name`) it belongs to; '' before the first FROM. */
  stage: string;
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined, keywords upper-cased. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = '';
  }
  if (pending !== '') logical.push(pending.trim());
  const out: Instruction[] = [];
  let stage = '';
  for (const line of logical.filter((l) => l !== '')) {
    const match = /^(\S+)\s*(.*)$/.exec(line);
    if (!match?.[1]) continue;
    const keyword = match[1].toUpperCase();
    const args = match[2] ?? '';
    if (keyword === 'FROM') stage = /\bAS\s+(\S+)\s*$/i.exec(args)?.[1] ?? '';
    out.push({ keyword, args, stage });
  }
  return out;
}

/** Exec form (`["a", "b"]`) of CMD, ENTRYPOINT or HEALTHCHECK … CMD; shell form is refused. */
function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) {
    throw new Error(`not an exec form: ${args}`);
  }
  return parsed;
}

const dockerfile = parseDockerfile(read('Dockerfile'));
const only = (keyword: string, stage?: string) =>
  dockerfile.filter((i) => i.keyword === keyword && (stage === undefined || i.stage === stage));
const last = (keyword: string) => {
  const found = only(keyword).at(-1);
  if (!found) throw new Error(`the Dockerfile has no ${keyword}`);
  return found;
};

// ---------------------------------------------------------------------------------------------
// docker-compose.yml, .env.example

interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  env_file?: string | string[];
  environment?: Record<string, string>;
  volumes?: string[];
  secrets?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition?: string; required?: boolean }>;
  profiles?: string[];
  healthcheck?: { test?: string[] };
  restart?: string;
  stop_grace_period?: string;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}

// Compose resolves YAML merge keys (`<<: *anchor`); YAML 1.2 needs them asked for.
const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service '${name}'`);
  return found;
}

interface DotEnv {
  /** `NAME=value` lines. */
  active: Map<string, string>;
  /** Every `NAME=` mentioned, also in comments (documented alternatives and compose-set variables). */
  documented: Set<string>;
}

function parseDotEnv(text: string): DotEnv {
  const active = new Map<string, string>();
  const documented = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const assignment = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (assignment?.[1]) active.set(assignment[1], assignment[2] ?? '');
    for (const match of line.matchAll(/\b([A-Z][A-Z0-9_]{2,})=/g)) if (match[1]) documented.add(match[1]);
  }
  for (const name of active.keys()) documented.add(name);
  return { active, documented };
}

const dotEnv = parseDotEnv(read('.env.example'));

/** Variables Docker Compose itself reads from .env (COMPOSE_PROFILES…), not flexysync. */
const isComposeVariable = (name: string) => name.startsWith('COMPOSE_');

// ---------------------------------------------------------------------------------------------
// What the code reads

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

/** Environment variables flexysync reads: the named sets, plus every `process.env.NAME` in src/. */
function variablesTheCodeReads(): Set<string> {
  const names = new Set<string>([...Object.values(ENV), ...Object.values(INTAKE_TOKEN_ENV)]);
  for (const file of sourceFiles(path.join(ROOT, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/process\.env\.([A-Z_][A-Z0-9_]*)/g)) {
      if (match[1]) names.add(match[1]);
    }
  }
  return names;
}

const codeReads = variablesTheCodeReads();

// ---------------------------------------------------------------------------------------------
// The CLI

function findCommand(program: Command, words: readonly string[]): Command | undefined {
  let current: Command | undefined = program;
  for (const word of words) {
    current = current?.commands.find(
      (command) => command.name() === word || command.aliases().includes(word),
    );
  }
  return current;
}

/** Checks `argv` (a verb, then flags) against the CLI: the verb exists and every `--flag` is its option. */
function checkInvocation(argv: readonly string[]): Command {
  const program = buildProgram();
  const verb = argv[0];
  if (verb === undefined) throw new Error('no verb');
  const command = findCommand(program, [verb]);
  if (!command) {
    const verbs = program.commands.map((c) => c.name()).join(', ');
    throw new Error(`'${verb}' is not a flexysync verb (verbs: ${verbs})`);
  }
  const known = new Set(command.options.flatMap((option) => [option.long, option.short]));
  for (const arg of argv.slice(1)) {
    if (!arg.startsWith('-')) continue;
    const flag = arg.split('=')[0] ?? arg;
    if (!known.has(flag)) throw new Error(`flexysync ${verb} has no option ${flag}`);
  }
  return command;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function runNode(args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...args], { timeout: 15_000 }, (error) => {
      resolve(error ? (typeof error.code === 'number' ? error.code : 1) : 0);
    });
  });
}

/** A healthcheck's `CMD node -e <script>` with the URL's port replaced (the real one may be taken). */
function healthcheckScript(test: readonly string[]): { script: string; url: URL } {
  const [form, binary, flag, script] = test;
  expect([form, binary, flag]).toEqual(['CMD', 'node', '-e']);
  if (script === undefined) throw new Error('no script');
  const url = /fetch\('([^']+)'/.exec(script)?.[1];
  if (!url) throw new Error(`no fetch('…') URL in ${script}`);
  return { script, url: new URL(url) };
}

function withPort(script: string, url: URL, port: number): string {
  return script.replace(`${url.host}`, `127.0.0.1:${port}`);
}

function durationMs(value: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(value);
  if (!match) throw new Error(`not a compose duration: ${value}`);
  const unit = { ms: 1, s: 1_000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
  return Number(match[1]) * unit;
}

/** The secret files' contents the compose stack would hold (fake, of the right shape). */
const SECRET_VALUES: Record<string, string> = {
  flexykey_password: 'simulator-secret\n',
  intake_token: `${'ab12'.repeat(16)}\n`,
};

/** The worker's environment in the compose stack: .env's active lines, then `environment:` (which wins). */
function workerEnv(): Record<string, string> {
  return { ...Object.fromEntries(dotEnv.active), ...service('worker').environment };
}

/** A readFile that sees the stack's files: the mounted configuration and the secrets. */
function stackReadFile(): (file: string) => string {
  const mounts = new Map<string, string>();
  for (const volume of service('worker').volumes ?? []) {
    const [source, target] = volume.split(':');
    if (source?.startsWith('./') && target) mounts.set(target, path.join(ROOT, source));
  }
  return (file: string) => {
    const host = mounts.get(file);
    if (host) return readFileSync(host, 'utf8');
    const secret = /^\/run\/secrets\/(.+)$/.exec(file)?.[1];
    if (secret && SECRET_VALUES[secret] !== undefined && (service('worker').secrets ?? []).includes(secret)) {
      return SECRET_VALUES[secret];
    }
    throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
  };
}

function stackConfig(): FlexysyncConfig {
  return loadConfig({ env: workerEnv(), readFile: stackReadFile() });
}

// =============================================================================================

describe('packaging: the helpers of this test', () => {
  it('parse a Dockerfile: comments, continuations, stages, exec forms', () => {
    const parsed = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'ARG X=1',
        'FROM a AS one',
        'RUN echo a \\',
        '  && echo b',
        '',
        'from b as two',
        'CMD ["x", "y"]',
      ].join('\n'),
    );
    expect(parsed.map((i) => [i.keyword, i.stage])).toEqual([
      ['ARG', ''],
      ['FROM', 'one'],
      ['RUN', 'one'],
      ['FROM', 'two'],
      ['CMD', 'two'],
    ]);
    expect(parsed[2]?.args).toBe('echo a && echo b');
    expect(execForm('["x", "y"]')).toEqual(['x', 'y']);
    expect(() => execForm('node x.js')).toThrow();
  });

  it('check invocations against the real CLI: unknown verbs and options are caught', () => {
    expect(checkInvocation(['simulator', '--port', '1']).name()).toBe('simulator');
    expect(() => checkInvocation(['wrker'])).toThrow(/'wrker' is not a flexysync verb/);
    expect(() => checkInvocation(['simulator', '--prot', '1'])).toThrow(/no option --prot/);
  });

  it('read .env lines and the names documented in comments', () => {
    const env = parseDotEnv('# A comment naming FOO_FILE=/x\nBAR=1\n# BAZ=\nlower=1\n');
    expect([...env.active]).toEqual([['BAR', '1']]);
    expect([...env.documented].sort()).toEqual(['BAR', 'BAZ', 'FOO_FILE']);
  });

  it('find the variables flexysync reads, from the named sets and from src/', () => {
    for (const name of ['REDIS_URL', 'FLEXYKEY_PASSWORD_FILE', 'FLEXYSYNC_INTAKE_TOKEN_FILE', 'LOG_LEVEL']) {
      expect(codeReads).toContain(name);
    }
  });
});

describe('packaging: Dockerfile', () => {
  it('builds in two stages from one Node 20 image, the version the tests run on', () => {
    const from = only('FROM');
    expect(from.map((i) => i.stage)).toEqual(['build', 'runtime']);
    for (const instruction of from) expect(instruction.args).toMatch(/^\$\{NODE_IMAGE\}\s+AS\s+\w+$/i);
    const image = /^NODE_IMAGE=(\S+)$/.exec(only('ARG', '').map((i) => i.args)[0] ?? '')?.[1];
    expect(image).toMatch(/^node:20(?:[.-]|$)/);
    const imageMajor = /^node:(\d+)/.exec(image ?? '')?.[1];
    expect(imageMajor).toBe(process.versions.node.split('.')[0]);
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    expect(Number(imageMajor)).toBeGreaterThanOrEqual(Number(/(\d+)/.exec(engines)?.[1]));
  });

  it('builds dist/ with dev dependencies, and runs with production dependencies only', () => {
    const buildRuns = only('RUN', 'build').map((i) => i.args);
    expect(buildRuns.some((run) => /\bnpm ci\b/.test(run) && !/--omit=dev/.test(run))).toBe(true);
    expect(buildRuns).toContain('npm run build');
    const runtimeRuns = only('RUN', 'runtime').map((i) => i.args);
    const install = runtimeRuns.find((run) => /\bnpm ci\b/.test(run));
    expect(install).toMatch(/--omit=dev/);
    expect(install).toMatch(/--ignore-scripts/);
    const runtimeCopies = only('COPY', 'runtime').map((i) => i.args);
    expect(runtimeCopies).toContain('--from=build /app/dist ./dist');
    // Neither the sources nor the build stage's node_modules (with dev dependencies) reach the runtime.
    expect(runtimeCopies.some((copy) => /\bsrc\b|node_modules/.test(copy))).toBe(false);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignored = new Set(
      read('.dockerignore')
        .split(/\r?\n/)
        .map((l) => l.trim()),
    );
    const sources = only('COPY')
      .filter((i) => !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'bin', 'config']),
    );
    for (const source of sources) {
      expect(existsSync(path.join(ROOT, source))).toBe(true);
      expect(ignored.has(source)).toBe(false);
    }
  });

  it('runs `flexysync worker` through bin/flexysync.js as a user other than root', () => {
    const entrypoint = execForm(last('ENTRYPOINT').args);
    expect(entrypoint[0]).toBe('node');
    const launcher = entrypoint.at(-1) ?? '';
    const bin = (JSON.parse(read('package.json')) as { bin: Record<string, string> }).bin.flexysync;
    expect(launcher).toBe(`/app/${bin}`);
    expect(existsSync(path.join(ROOT, bin ?? ''))).toBe(true);
    expect(only('WORKDIR', 'runtime').map((i) => i.args)).toEqual(['/app']);

    const cmd = execForm(last('CMD').args);
    expect(cmd).toEqual(['worker']);
    checkInvocation(cmd);

    const user = last('USER');
    expect(user.stage).toBe('runtime');
    expect(['root', '0', '0:0']).not.toContain(user.args);
  });

  it('stops on SIGTERM, the signal the worker finishes its work on', () => {
    expect(last('STOPSIGNAL').args).toBe('SIGTERM');
    expect(read('src/cli/commands/worker.ts')).toMatch(/STOP_SIGNALS = \[[^\]]*'SIGTERM'/);
  });

  it('sets only variables flexysync reads, with the configuration where the docs say', () => {
    const env = only('ENV').map((i) => i.args);
    const names = env.map((args) => /^([A-Z_][A-Z0-9_]*)=/.exec(args)?.[1]);
    for (const name of names) expect(codeReads).toContain(name);
    expect(env).toContain(`${ENV.config}=/etc/flexysync/flexysync.yaml`);
  });

  it('exposes the port of the compose configuration', () => {
    expect(only('EXPOSE').map((i) => i.args)).toEqual([String(stackConfig().http.port)]);
  });
});

describe('packaging: the healthchecks hit real routes', () => {
  it('the image HEALTHCHECK passes against the worker HTTP server of the compose configuration, and fails without it', async () => {
    const healthcheck = last('HEALTHCHECK').args;
    expect(healthcheck).toMatch(/--timeout=\d+s/);
    const { script, url } = healthcheckScript([
      'CMD',
      ...execForm(healthcheck.slice(healthcheck.indexOf('CMD'))),
    ]);
    const config = stackConfig();
    expect(config.http.enabled).toBe(true);
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBe(config.http.port);

    const raw = parseYaml(read('config/flexysync.docker.yaml')) as Record<string, Record<string, unknown>>;
    const local = parseConfig({ ...raw, http: { ...raw.http, host: '127.0.0.1', port: 0 } }, {});
    const server = createHttpServer({
      config: local,
      bookingsQueue: {} as Queue,
      logger: silentLogger,
      readiness: () => ({ redis: true, flexykey: true, shuttingDown: false }),
    });
    const address = await server.listen();
    try {
      const answer = await fetch(`${address.url}${url.pathname}`);
      expect(answer.status).toBe(200);
      expect(await runNode(['-e', withPort(script, url, address.port)])).toBe(0);
      // It looks at the status: a path the server does not have fails it.
      const wrongPath = withPort(script, url, address.port).replace(url.pathname, '/no-such-route');
      expect(await runNode(['-e', wrongPath])).toBe(1);
    } finally {
      await server.close();
    }
    // Nothing listening any more.
    expect(await runNode(['-e', withPort(script, url, address.port)])).toBe(1);
  });

  it('the simulator service healthcheck passes against a running simulator', async () => {
    const test = service('simulator').healthcheck?.test ?? [];
    const { script, url } = healthcheckScript(test);
    const command = service('simulator').command ?? [];
    const port = Number(command[command.indexOf('--port') + 1]);
    expect(Number(url.port)).toBe(port);
    const simulator = await startSimulator({ port: 0 });
    try {
      expect(await runNode(['-e', withPort(script, url, simulator.port)])).toBe(0);
    } finally {
      await simulator.close();
    }
    expect(await runNode(['-e', withPort(script, url, simulator.port)])).toBe(1);
  });
});

describe('packaging: docker-compose.yml', () => {
  it('has redis, the worker and the simulator, and every command is a real verb with real options', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['redis', 'simulator', 'worker']);
    expect(checkInvocation(service('worker').command ?? []).name()).toBe('worker');
    expect(checkInvocation(service('simulator').command ?? []).name()).toBe('simulator');
  });

  it('runs Redis 7 with noeviction, an append-only file on a volume, and a ping healthcheck', () => {
    const redis = service('redis');
    expect(redis.image).toMatch(/^redis:7(?:[.-]|$)/);
    const command = redis.command ?? [];
    const value = (flag: string) => command[command.indexOf(flag) + 1];
    expect(command[0]).toBe('redis-server');
    expect(value('--maxmemory-policy')).toBe('noeviction');
    expect(value('--appendonly')).toBe('yes');
    const dataVolume = (redis.volumes ?? []).find((v) => v.endsWith(':/data'));
    expect(dataVolume).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(dataVolume?.split(':')[0]);
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('builds the worker and the simulator from this Dockerfile as one image', () => {
    const worker = service('worker');
    const simulator = service('simulator');
    expect(worker.build).toBe('.');
    expect(simulator.build).toBe('.');
    expect(simulator.image).toBe(worker.image);
  });

  it('starts the worker after Redis is healthy, restarts it, and gives it time to hand work back', () => {
    const worker = service('worker');
    expect(worker.depends_on?.redis?.condition).toBe('service_healthy');
    // The simulator is optional (a profile): the dependency must not be required.
    expect(worker.depends_on?.simulator?.required).toBe(false);
    expect(worker.restart).toBe('unless-stopped');
    // close() waits at most this long (src/worker/worker.ts) before the process exits.
    const closeTimeout = /closeTimeoutMs \?\? ([\d_]+)/.exec(read('src/worker/worker.ts'))?.[1];
    expect(closeTimeout).toBeDefined();
    const grace = durationMs(worker.stop_grace_period ?? '10s');
    expect(grace).toBeGreaterThanOrEqual(Number(closeTimeout?.replaceAll('_', '')) + 5_000);
  });

  it('publishes the worker HTTP port on localhost only, one host port per replica', () => {
    const ports = service('worker').ports ?? [];
    expect(ports).toHaveLength(1);
    const [host, range, container] = (ports[0] ?? '').split(':');
    expect(host).toBe('127.0.0.1');
    expect(Number(container)).toBe(stackConfig().http.port);
    const [first, lastPort] = (range ?? '').split('-').map(Number);
    expect((lastPort ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(2); // --scale worker=3
    for (const published of service('simulator').ports ?? []) expect(published).toMatch(/^127\.0\.0\.1:/);
  });

  it('keeps the simulator in the `simulator` profile, listening on every interface of its container', () => {
    const simulator = service('simulator');
    expect(simulator.profiles).toEqual(['simulator']);
    const command = simulator.command ?? [];
    expect(command[command.indexOf('--host') + 1]).toBe('0.0.0.0');
    // Redis and the worker have no profile: they always run.
    expect(service('redis').profiles).toBeUndefined();
    expect(service('worker').profiles).toBeUndefined();
  });

  it('mounts the configuration where FLEXYSYNC_CONFIG points, read-only', () => {
    const worker = service('worker');
    const target = worker.environment?.[ENV.config];
    const mount = (worker.volumes ?? []).find((v) => v.split(':')[1] === target);
    expect(mount).toBe('./config/flexysync.docker.yaml:/etc/flexysync/flexysync.yaml:ro');
    expect(existsSync(path.join(ROOT, 'config/flexysync.docker.yaml'))).toBe(true);
  });

  it('gives every secret as a file: each *_FILE variable names a declared compose secret', () => {
    const worker = service('worker');
    const fileVariables = Object.entries(worker.environment ?? {}).filter(([name]) => name.endsWith('_FILE'));
    expect(fileVariables.map(([name]) => name).sort()).toEqual(
      [ENV.passwordFile, INTAKE_TOKEN_ENV.tokenFile].sort(),
    );
    for (const [, value] of fileVariables) {
      const secret = /^\/run\/secrets\/([a-z_]+)$/.exec(value)?.[1];
      expect(secret).toBeDefined();
      expect(worker.secrets).toContain(secret);
      expect(compose.secrets?.[secret ?? '']?.file).toMatch(/^\.\/secrets\//);
    }
    // No secret value in the compose file itself.
    for (const name of [ENV.password, INTAKE_TOKEN_ENV.token]) {
      expect(Object.keys(worker.environment ?? {})).not.toContain(name);
    }
  });
});

describe('packaging: environment', () => {
  it('uses only variables flexysync reads (or Docker Compose, COMPOSE_*)', () => {
    const used = [
      ...Object.keys(service('worker').environment ?? {}),
      ...[...dotEnv.documented].filter((name) => !isComposeVariable(name)),
    ];
    for (const name of used) expect({ name, read: codeReads.has(name) }).toEqual({ name, read: true });
  });

  it('.env.example names every variable flexysync reads and sets none of the secrets', () => {
    for (const name of codeReads)
      expect({ name, documented: dotEnv.documented.has(name) }).toEqual({ name, documented: true });
    for (const name of [ENV.password, INTAKE_TOKEN_ENV.token]) expect(dotEnv.active.has(name)).toBe(false);
    expect(service('worker').env_file).toBe('.env');
  });

  it('is set only once per secret: .env does not set what the compose environment sets as a file', () => {
    const environment = service('worker').environment ?? {};
    for (const name of Object.keys(environment)) expect(dotEnv.active.has(name)).toBe(false);
  });
});

describe('packaging: the compose configuration', () => {
  it('loads with the real loader given the stack environment and secret files', () => {
    const config = stackConfig();
    expect(config.http).toMatchObject({ enabled: true, host: '0.0.0.0' });
    expect(config.flexykey.password).toBe('simulator-secret');
    expect(config.flexykey.username).toBe(dotEnv.active.get(ENV.username));
    const token = readIntakeToken({ env: workerEnv(), readFile: stackReadFile() });
    expect(token).toBe(SECRET_VALUES.intake_token?.trim());
  });

  it('points Redis at the redis service and FlexyKey at the simulator service', () => {
    const config = stackConfig();
    const redis = new URL(config.redis.url);
    expect(redis.hostname).toBe('redis');
    expect(redis.port === '' ? 6379 : Number(redis.port)).toBe(6379);
    const flexykey = new URL(config.flexykey.baseUrl);
    expect(flexykey.hostname).toBe('simulator');
    const command = service('simulator').command ?? [];
    expect(flexykey.port).toBe(command[command.indexOf('--port') + 1]);
    expect(flexykey.pathname).toBe('/v1/');
  });

  it('fails to load when .env also sets the password that compose gives as a file', () => {
    const env = { ...workerEnv(), [ENV.password]: 'x' };
    expect(() => loadConfig({ env, readFile: stackReadFile() })).toThrow(/set one of them, not both/);
  });

  it("names only units of the simulator seed that the .env user's company owns", () => {
    const seed = loadSeedFile(DEFAULT_SEED_PATH);
    const username = dotEnv.active.get(ENV.username);
    const user = seed.users.find((u) => u.username === username);
    expect(user).toBeDefined();
    expect(user?.password).toBe(SECRET_VALUES.flexykey_password?.trim());
    // The try-it steps at the top of docker-compose.yml write that password.
    expect(read('docker-compose.yml')).toContain(`printf '%s' ${user?.password} > secrets/flexykey-password`);
    const config = stackConfig();
    const units = Object.values(config.resources).flatMap((r) => (r.units ?? []).map((u) => u.unitId));
    expect(units.length).toBeGreaterThan(0);
    for (const unitId of units) {
      const unit = seed.units.find((u) => u.unitId === unitId);
      expect({ unitId, company: unit?.companyId }).toEqual({ unitId, company: user?.companyId });
    }
  });
});

describe('packaging: .dockerignore', () => {
  it('keeps dependencies, build output, git, local environment and secrets out of the build context', () => {
    const lines = read('.dockerignore')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const entry of ['node_modules', '.git', 'dist', '.env', 'secrets']) expect(lines).toContain(entry);
    // A re-inclusion would undo that.
    expect(lines.filter((l) => l.startsWith('!'))).toEqual([]);
  });
});
